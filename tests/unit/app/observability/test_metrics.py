"""What /metrics shows: the business metrics read at scrape time, as Prometheus text."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from app.observability import metrics

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
