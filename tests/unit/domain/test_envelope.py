"""Envelope parsing and validation: precise errors, versions, upcasting, round trips."""

from __future__ import annotations

import uuid
from decimal import Decimal

import orjson
import pytest

from domain import envelope
from domain.envelope import Invalid, Parsed, parse
from domain.messages import OrderCreated, StockReserved


def wire(event_type: str = "OrderCreated", version: str = "1.0", **data_overrides: object) -> dict:
    data = {
        "orderId": "o-1",
        "userId": "u-1",
        "customer": {"name": "Ada", "email": "ada@example.com", "tier": "gold"},
        "items": [{"sku": "sku-1", "name": "Thing", "quantity": 2, "unitPrice": 10.5}],
        "amount": 21.0,
        "currency": "EUR",
        "createdAt": "2026-11-24T10:00:00Z",
    }
    data.update(data_overrides)
    return {
        "eventId": str(uuid.uuid4()),
        "eventType": event_type,
        "timestamp": "2026-11-24T10:00:00.123Z",
        "version": version,
        "correlationId": "o-1",
        "causationId": None,
        "data": data,
    }


def raw(doc: dict) -> bytes:
    return orjson.dumps(doc)


def test_valid_order_created_parses_to_typed_body() -> None:
    result = parse(raw(wire()), "orders.events")
    assert isinstance(result, Parsed)
    assert isinstance(result.body, OrderCreated)
    assert result.body.amount == Decimal("21.0")
    assert result.body.customer.tier == "gold"


def test_correlation_and_causation_may_be_missing() -> None:
    doc = wire()
    del doc["correlationId"], doc["causationId"]
    result = parse(raw(doc), "orders.events")
    assert isinstance(result, Parsed)
    assert result.envelope.correlationId is None


@pytest.mark.parametrize(
    ("payload", "reason", "fragment"),
    [
        (b"{not json", "deserialization", "not valid UTF-8 JSON"),
        (b"\xff\xfe\x00", "deserialization", "not valid UTF-8 JSON"),
        (b"[1, 2]", "deserialization", "expected a JSON object"),
        (None, "deserialization", "tombstone"),
    ],
)
def test_undecodable_payloads(payload: bytes | None, reason: str, fragment: str) -> None:
    result = parse(payload, "orders.events")
    assert isinstance(result, Invalid)
    assert result.reason == reason
    assert fragment in result.error


@pytest.mark.parametrize(
    ("mutate", "fragment"),
    [
        (lambda d: d.pop("eventId"), "eventId: Field required"),
        (lambda d: d.update(eventId="nope"), "eventId: Input should be a valid UUID"),
        (lambda d: d.update(timestamp="yesterday"), "timestamp:"),
        (
            lambda d: d.update(timestamp="2026-11-24T10:00:00"),
            "timestamp: Input should have timezone",
        ),
        (lambda d: d.update(eventType="OrderShipped"), "eventType: unknown type 'OrderShipped'"),
        (lambda d: d.update(eventType="ReserveStock"), "eventType: unknown type 'ReserveStock'"),
        (
            lambda d: d["data"]["items"][0].update(quantity=0),
            "data.items.0.quantity: Input should be greater than 0",
        ),
        (
            lambda d: d["data"]["items"][0].update(quantity="many"),
            "data.items.0.quantity: Input should be a valid integer",
        ),
        (lambda d: d["data"].pop("customer"), "data.customer: Field required"),
        (lambda d: d["data"].update(currency="euro"), "data.currency: String should match pattern"),
        (lambda d: d["data"].update(items=[]), "data.items: List should have at least 1 item"),
        (lambda d: d["data"]["customer"].update(email="nope"), "data.customer.email:"),
        (lambda d: d.update(data="x"), "data: Input should be a valid dictionary"),
    ],
)
def test_invalid_messages_name_the_field_and_rule(mutate, fragment: str) -> None:
    doc = wire()
    mutate(doc)
    result = parse(raw(doc), "orders.events")
    assert isinstance(result, Invalid)
    assert result.reason == "validation"
    assert fragment in result.error


def test_invalid_message_keeps_its_ids_for_the_audit_trail() -> None:
    doc = wire()
    doc["data"]["amount"] = -1
    result = parse(raw(doc), "orders.events")
    assert isinstance(result, Invalid)
    assert result.eventId == doc["eventId"] and result.eventType == "OrderCreated"


@pytest.mark.parametrize("version", ["1.0", "1.1", "1.42"])
def test_every_1x_version_is_read_and_unknown_fields_ignored(version: str) -> None:
    doc = wire(version=version, giftWrap=True)
    assert isinstance(parse(raw(doc), "orders.events"), Parsed)


@pytest.mark.parametrize("version", ["2.0", "3.1", "7.0"])
def test_unknown_major_version_is_rejected(version: str) -> None:
    result = parse(raw(wire(version=version)), "orders.events")
    assert isinstance(result, Invalid)
    assert result.error.startswith("version: unsupported major version")


def test_v0_order_created_is_upcast() -> None:
    doc = wire(version="0.9")
    data = doc["data"]
    data["customerId"] = data.pop("userId")
    data["total"] = data.pop("amount")
    data["items"] = [{"sku": "sku-1", "name": "Thing", "quantity": 2, "price": 10.5}]
    result = parse(raw(doc), "orders.events")
    assert isinstance(result, Parsed) and isinstance(result.body, OrderCreated), result
    assert result.body.userId == "u-1"
    assert result.body.amount == Decimal("21.0")
    assert result.body.items[0].unitPrice == Decimal("10.5")


def test_build_and_dumps_round_trip_with_wire_format() -> None:
    body = StockReserved(orderId="o-1", userId="u-1", sku="sku-1", quantity=2)
    env = envelope.build(body, correlation_id="o-1", causation_id="c-1")
    doc = orjson.loads(envelope.dumps(env))
    assert set(doc) == {
        "eventId",
        "eventType",
        "timestamp",
        "version",
        "correlationId",
        "causationId",
        "data",
    }
    assert doc["eventType"] == "StockReserved" and doc["version"] == "1.0"
    assert doc["timestamp"].endswith("Z")
    again = parse(envelope.dumps(env), "orders.events")
    assert isinstance(again, Parsed) and again.body == body


def test_derived_event_ids_are_deterministic() -> None:
    assert envelope.derive_event_id("e-1", "reserve/sku-1") == envelope.derive_event_id(
        "e-1", "reserve/sku-1"
    )
    assert envelope.derive_event_id("e-1", "reserve/sku-1") != envelope.derive_event_id(
        "e-1", "reserve/sku-2"
    )


def test_money_is_a_json_number_on_the_wire() -> None:
    result = parse(raw(wire()), "orders.events")
    assert isinstance(result, Parsed)
    dumped = orjson.loads(envelope.dumps(envelope.build(result.body, correlation_id="o-1")))
    assert dumped["data"]["amount"] == 21.0
    assert dumped["data"]["items"][0]["unitPrice"] == 10.5


@pytest.mark.parametrize("items", [None, 5, "x", [1, None], {"sku": "a"}])
def test_malformed_v0_items_are_invalid_not_a_crash(items: object) -> None:
    doc = wire(version="0.9")
    doc["data"]["items"] = items
    result = parse(raw(doc), "orders.events")
    assert isinstance(result, Invalid)
    assert result.reason == "validation" and "data.items" in result.error


@pytest.mark.parametrize(
    "payload",
    [
        b'{"eventId": "' + b"x" * 10_000 + b'"}',
        b"1e999999",
        b'{"data": {"a": ' * 2000,
        b"\x00\x01",
        b"null",
    ],
)
def test_parse_never_raises(payload: bytes) -> None:
    assert isinstance(parse(payload, "orders.events"), Invalid)
