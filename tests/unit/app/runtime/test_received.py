"""The audit line of every record received, valid or not."""

from __future__ import annotations

from datetime import UTC, datetime

from app.runtime.received import Received, audit_line
from domain import simulation
from domain.envelope import parse

NOW = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)


def test_audit_line_for_valid_and_invalid() -> None:
    good = next(iter(simulation.orders(1, seed=1)))
    rec = Received("orders.events", 0, 5, good.key.encode(), good.value)
    line = audit_line(rec, parse(rec.value, "orders.events"), NOW)
    assert line["valid"] is True and line["eventType"] == "OrderCreated" and line["reason"] is None
    bad = Received("orders.events", 1, 6, None, b"nope")
    line = audit_line(bad, parse(bad.value, "orders.events"), NOW)
    assert line["valid"] is False and line["reason"].startswith("deserialization")
    assert line["payload"] == "nope" and line["key"] is None
    assert line["receivedAt"] == "2026-11-24T10:00:00.000Z"
