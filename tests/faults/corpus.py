"""A malformed-input corpus (hypothesis strategies) for every topic clients write to: random
bytes, truncated JSON, wrong types, unknown event types, missing fields, payloads up to the
broker's limit, under a null, wrong or right key. Every value is one the parser refuses."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import orjson
from hypothesis import strategies as st

from domain import envelope
from domain.envelope import Invalid
from domain.messages import (
    MESSAGE_TYPES,
    AuthorizePayment,
    CartItemAdded,
    Customer,
    LineItem,
    Message,
    OrderCreated,
    PlaceOrder,
    PricedItem,
    ReserveStock,
    UserRegistered,
)

AT = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
# the broker's default message.max.bytes is 1 MiB; the client's max_request_size too
BIG = 1_000_000

VALID: dict[str, Message] = {
    "orders.commands": PlaceOrder(orderId="o-m1", userId="u-m1", currency="EUR",
                                  items=[LineItem(sku="sku-cable", quantity=1)]),
    "orders.events": OrderCreated(
        orderId="o-m2", userId="u-m2", currency="EUR", amount=Decimal("9.99"), createdAt=AT,
        customer=Customer(name="Ada", email="ada@example.com", tier="standard"),
        items=[PricedItem(sku="sku-cable", name="USB-C cable", quantity=1,
                          unitPrice=Decimal("9.99"))],
    ),
    "inventory.commands": ReserveStock(orderId="o-m3", userId="u-m3", sku="sku-cable", quantity=1),
    "payments.commands": AuthorizePayment(orderId="o-m4", userId="u-m4", amount=Decimal("1.00"),
                                          currency="EUR", tier="standard"),
    "users.events": UserRegistered(userId="u-m5", name="Grace", email="grace@example.com"),
    "carts.events": CartItemAdded(userId="u-m6", sku="sku-cable", quantity=1),
}  # fmt: skip
TOPICS = tuple(VALID)


def valid_doc(topic: str) -> dict[str, Any]:
    body = VALID[topic]
    env = envelope.build(body, correlation_id=None, timestamp=AT)
    doc: dict[str, Any] = orjson.loads(envelope.dumps(env))
    return doc


def refused(topic: str, raw: bytes) -> bool:
    return isinstance(envelope.parse(raw, topic), Invalid)


def _wrong_type(doc: dict[str, Any], field: str) -> bytes:
    data = dict(doc["data"])
    data[field] = {"wrong": [1]} if isinstance(data[field], list) else [{"wrong": True}]
    return orjson.dumps({**doc, "data": data})


def _missing(doc: dict[str, Any], field: str) -> bytes:
    if field.startswith("data."):
        data = {k: v for k, v in doc["data"].items() if k != field[5:]}
        return orjson.dumps({**doc, "data": data})
    return orjson.dumps({k: v for k, v in doc.items() if k != field})


def _required(topic: str) -> list[str]:
    body = VALID[topic]
    fields = [f"data.{n}" for n, f in type(body).model_fields.items() if f.is_required()]
    return ["eventId", "eventType", "timestamp", "version", "data", *fields]


@st.composite
def payloads(draw: st.DrawFn, topic: str) -> bytes:
    doc = valid_doc(topic)
    good = orjson.dumps(doc)
    kind = draw(st.sampled_from(
        ["bytes", "truncated", "wrong_type", "unknown_type", "missing", "not_object"]
    ))  # fmt: skip
    if kind == "bytes":
        raw = draw(st.binary(max_size=2000))
    elif kind == "truncated":
        raw = good[: draw(st.integers(0, len(good) - 1))]
    elif kind == "wrong_type":
        raw = _wrong_type(doc, draw(st.sampled_from(sorted(doc["data"]))))
    elif kind == "unknown_type":
        name = draw(st.text(min_size=1, max_size=40).filter(lambda t: t not in MESSAGE_TYPES))
        raw = orjson.dumps({**doc, "eventType": name})
    elif kind == "missing":
        raw = _missing(doc, draw(st.sampled_from(_required(topic))))
    else:
        raw = orjson.dumps(
            draw(st.one_of(st.integers(-(2**63), 2**63 - 1), st.text(), st.lists(st.booleans())))
        )
    return raw


def big(topic: str, size: int) -> bytes:
    """A payload of about ``size`` bytes, valid JSON but no message (an unknown type)."""
    doc = {**valid_doc(topic), "eventType": "Bulk"}
    doc["data"] = {"blob": "x" * max(0, size - 300)}
    return orjson.dumps(doc)


@st.composite
def records(draw: st.DrawFn) -> tuple[str, bytes | None, bytes]:
    """``(topic, key, value)``: a refused value under a null, a wrong or the right key."""
    topic = draw(st.sampled_from(TOPICS))
    value = draw(payloads(topic).filter(lambda raw: refused(topic, raw)))
    right = envelope.key_of(VALID[topic]).encode()
    key = draw(st.one_of(st.none(), st.just(right), st.binary(min_size=1, max_size=40)))
    return topic, key, value


def corpus(count: int, seed: int) -> list[tuple[str, bytes | None, bytes]]:
    """``count`` records drawn with a fixed seed, plus one payload near the size limit per topic."""
    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis import seed as hseed

    drawn: list[tuple[str, bytes | None, bytes]] = []

    @hseed(seed)
    @settings(max_examples=count, database=None, phases=[Phase.generate], deadline=None,
              suppress_health_check=list(HealthCheck))  # fmt: skip
    @given(records())
    def collect(record: tuple[str, bytes | None, bytes]) -> None:
        drawn.append(record)

    collect()
    return drawn + [(t, None, big(t, BIG - 1000)) for t in TOPICS]
