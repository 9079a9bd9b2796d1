"""Sample traffic, dead-letter records, audit lines and exported schemas."""

from __future__ import annotations

from datetime import UTC, datetime

import orjson
import pytest

from app.runtime.received import Received, audit_line
from domain import simulation
from domain.dead_letter import dead_letter, payload_text
from domain.envelope import Invalid, Parsed, parse
from domain.schemas import json_schemas

NOW = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)


def test_simulator_counts_and_determinism() -> None:
    first = list(simulation.orders(100, seed=7, corrupt_ratio=0.05))
    again = list(simulation.orders(100, seed=7, corrupt_ratio=0.05))
    assert [r.key for r in first] == [r.key for r in again]
    assert sum(not r.corrupt for r in first) == 100
    assert sum(r.corrupt for r in first) == 5


def test_simulated_orders_are_valid_and_enriched() -> None:
    for rec in simulation.orders(30, seed=3):
        result = parse(rec.value, "orders.events")
        assert isinstance(result, Parsed), result
        body = result.body
        assert rec.key == body.orderId
        assert body.amount == sum(i.unitPrice * i.quantity for i in body.items)
        assert body.customer.email


def test_simulated_corrupt_records_are_all_rejected() -> None:
    corrupt = [r for r in simulation.orders(200, seed=11, corrupt_ratio=0.1) if r.corrupt]
    assert len(corrupt) == 20
    assert all(isinstance(parse(r.value, "orders.events"), Invalid) for r in corrupt)


def test_dead_letter_keeps_context_and_is_deterministic() -> None:
    rec = Received("orders.events", 2, 41, b"o-9", b"{broken")
    result = parse(rec.value, "orders.events")
    assert isinstance(result, Invalid)
    one = dead_letter(rec, result.reason, result.error, group="orders", host="h1", now=NOW)
    two = dead_letter(rec, result.reason, result.error, group="orders", host="h2", now=NOW)
    assert one.id == two.id
    doc = orjson.loads(one.model_dump_json())
    assert doc["originalTopic"] == "orders.events" and doc["originalPartition"] == 2
    assert doc["originalOffset"] == 41 and doc["originalKey"] == "o-9"
    assert doc["originalPayload"] == "{broken" and doc["failureReason"] == "deserialization"
    assert set(doc) == {
        "id",
        "timestamp",
        "originalTopic",
        "originalPartition",
        "originalOffset",
        "originalKey",
        "originalPayload",
        "truncatedFrom",
        "failureReason",
        "agent",
        "errorMessage",
        "retryCount",
        "consumerGroup",
        "processingHost",
    }


@pytest.mark.parametrize(
    ("raw", "text"), [(b"abc", "abc"), (b"\xff\x00", "base64:/wA="), (None, "")]
)
def test_payload_is_kept_losslessly(raw: bytes | None, text: str) -> None:
    assert payload_text(raw) == text


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


def test_schemas_cover_every_message_and_resolve_refs() -> None:
    docs = json_schemas()
    assert {"Envelope", "DeadLetter", "OrderCreated", "PlaceOrder", "UserTotals"} <= set(docs)
    created = docs["OrderCreated"]
    assert created["properties"]["eventType"] == {"const": "OrderCreated"}
    text = orjson.dumps(created).decode()
    for ref in {part.split('"')[0] for part in text.split('"$ref":"#/$defs/')[1:]}:
        assert ref in created["$defs"]
