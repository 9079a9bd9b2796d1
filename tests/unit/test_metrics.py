"""What the windows count: saga outcomes and orders finished (once each), the Prometheus text of
the scrape-time metrics, the sums over workers, and the monitor's screen."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families
from rich.console import Console

from app.cli import monitor
from app.observability import dashboard, logs, metrics
from domain.order_status import OrderStatus, finished
from domain.saga import ended
from tests.unit.test_saga import AUTH, CREATED, DECLINE, RES_A, RES_B, UNAV_B, run, timed_out


@pytest.mark.parametrize(
    ("events", "outcome"),
    [
        ((CREATED,), None),
        ((CREATED, RES_A, RES_B), None),
        ((CREATED, RES_A, RES_B, AUTH), "confirmed"),
        ((CREATED, RES_A, UNAV_B), "out_of_stock"),
        ((CREATED, RES_A, RES_B, DECLINE), "payment_rejected"),
        ((CREATED, RES_A, timed_out("stock")), "timeout"),
        ((CREATED, RES_A, RES_B, timed_out("payment")), "timeout"),
        ((CREATED, UNAV_B, RES_A), None),  # a late reservation after the end counts nothing
    ],
)
def test_a_saga_ends_once_with_its_outcome(events: tuple[Any, ...], outcome: str | None) -> None:
    before, _ = run(*events[:-1]) if len(events) > 1 else (None, [])
    after, _ = run(*events)
    assert ended(before, after) == outcome
    assert after is not None and after.startedAt is not None


@pytest.mark.parametrize(
    ("before", "after", "counted"),
    [
        (None, "CREATED", None),
        ("CREATED", "CONFIRMED", "CONFIRMED"),
        (None, "REJECTED", "REJECTED"),
        ("STOCK_RESERVED", "CANCELLED", "CANCELLED"),
        ("CANCELLED", "CANCELLED", None),  # a redelivered or late event
    ],
)
def test_an_order_is_counted_when_it_first_becomes_terminal(
    before: str | None, after: str, counted: str | None
) -> None:
    old = None if before is None else OrderStatus(orderId="o-1", status=before)
    assert finished(old, OrderStatus(orderId="o-1", status=after)) == counted


LIVE = {
    "records": {"received": 10, "valid": 8, "invalid": 2, "forwarded": 0},
    "dlq": {"deserialization": 1, "validation": 1, "processing": 0, "timeout": 0},
    "dlqSize": 5,
    "circuits": {"gateway-XTS": "opened"},
    "lag": [{"topic": "orders.events", "partition": 2, "lag": 7}],
    "stalled": [{"topic": "orders.commands", "partition": 1, "seconds": 61.5, "stalled": True}],
    "audit": {"written": 9, "failed": 1},
}


def test_scrape_time_metrics_are_prometheus_text() -> None:
    registry = CollectorRegistry()
    registry.register(metrics.LiveCollector(lambda: LIVE))
    samples = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(generate_latest(registry).decode())
        for s in family.samples
    }
    assert samples[("orders_records_total", (("result", "invalid"),))] == 2
    assert samples[("orders_dlq_messages_total", (("reason", "validation"),))] == 1
    assert samples[("orders_dlq_size", ())] == 5
    assert samples[("orders_circuit_breaker_state", (("circuit", "gateway-XTS"),
                                                     ("state", "opened")))] == 1  # fmt: skip
    assert samples[("orders_circuit_breaker_state", (("circuit", "gateway-XTS"),
                                                     ("state", "closed")))] == 0  # fmt: skip
    assert samples[("orders_consumer_lag", (("partition", "2"), ("topic", "orders.events")))] == 7
    assert samples[("orders_audit_lines_total", (("result", "written"),))] == 9
    stalled = (
        "orders_partition_stalled_seconds",
        (("partition", "1"), ("topic", "orders.commands")),
    )
    assert samples[stalled] == 61.5


def snap(worker: str, received: int, rate: float, **extra: Any) -> dict[str, Any]:
    return {
        "worker": worker, "messagesPerSecond": rate, "successRate": 0.5 if worker == "w1" else 1.0,
        "records": {"received": received, "valid": received - 1, "invalid": 1, "forwarded": 0},
        "orders": {"confirmed": 3, "cancelled": 1, "rejected": 0},
        "sagas": {"outcomes": {"confirmed": 3, "timeout": 1}},
        "dlq": {"byReason": {"validation": 1}, "total": 1, "size": 4},
        "lagTotal": 2, "circuits": {"gateway-EUR": "closed"}, "uptimeSeconds": 12,
        "partitions": {"active": {"orders.events": [0, 2] if worker == "w1" else [1]}},
        "health": [{"ts": f"2026-11-24T10:00:0{received % 10}", "event": "metrics"}],
        **extra,
    }  # fmt: skip


SNAPS = [
    snap("w1", 10, 10.0),
    snap("w2", 21, 30.0, stalled=["orders.commands/1"]),
    {"worker": "w3", "error": "unreachable"},
]


def test_workers_are_summed_and_a_silent_one_is_named() -> None:
    total = dashboard.totals(SNAPS)
    assert total["orders"] == {"confirmed": 6, "cancelled": 2, "rejected": 0}
    assert total["sagas"] == {"confirmed": 6, "timeout": 2}
    assert total["messagesPerSecond"] == 40.0
    assert total["successRate"] == 0.875  # weighted by each worker's messages/s
    assert total["records"] == 31 and total["dlqSent"] == 2 and total["dlqSize"] == 4
    assert total["down"] == ["w3"] and total["workers"] == 3
    assert total["stalled"] == ["w2 orders.commands/1"]
    assert dashboard.owners(SNAPS, "orders.events") == {0: "w1", 1: "w2", 2: "w1"}
    assert [r["worker"] for r in dashboard.health_tail(SNAPS)] == ["w1", "w2"]


def test_the_monitor_screen_shows_the_numbers() -> None:
    console = Console(record=True, width=160)
    console.print(monitor.render_totals(dashboard.totals(SNAPS)))
    console.print(monitor.render_workers(SNAPS))
    console.print(monitor.render_owners(SNAPS))
    console.print(monitor.render_health(SNAPS))
    text = console.export_text()
    for shown in ("messages/s 40.0", "records 31", "confirmed 6", "87.5 %", "unreachable",
                  "EUR closed", "orders.events", "health log",
                  "stalled w2 orders.commands/1"):  # fmt: skip
        assert shown in text, shown


def test_audit_lines_written_and_recent_health_lines_are_kept(tmp_path: Path) -> None:
    logs.configure(tmp_path / "audit.jsonl", tmp_path / "health.jsonl")
    try:
        for n in range(3):
            logs.audit({"offset": n})
        logs.health("start", worker="http://w1")
        deadline = time.monotonic() + 5
        while logs.audit_lines()[0] < 3 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert logs.audit_lines() == (3, 0)
        assert logs.recent_health[-1]["event"] == "start"
    finally:
        logs.flush()
