"""Several workers' /stats summed: each order counted once, a silent worker named."""

from __future__ import annotations

from typing import Any

from app.observability import dashboard


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
