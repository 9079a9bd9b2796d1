"""Order status folding: every transition a row; duplicates change nothing."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from domain import envelope
from domain.envelope import Parsed
from domain.messages import (
    Customer,
    OrderCancelled,
    OrderConfirmed,
    OrderCreated,
    OrderMessage,
    OrderRejected,
    PaymentAuthorized,
    PaymentRejected,
    PaymentVoided,
    PricedItem,
    StockReserved,
    StockUnavailable,
)
from domain.order_status import (
    CANCELLED,
    CONFIRMED,
    CREATED,
    PAYMENT_AUTHORIZED,
    PENDING,
    REJECTED,
    STOCK_RESERVED,
    OrderState,
    OrderStatus,
    evolve,
    finished,
    next_status,
)

NOW = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)


IDS = {"orderId": "o-1", "userId": "u-1"}


CREATED_EVT = OrderCreated(
    **IDS,
    customer=Customer(name="Ada", email="ada@example.com", tier="standard"),
    items=[PricedItem(sku="s-1", name="Thing", quantity=1, unitPrice="9.99")],
    amount="9.99",
    currency="EUR",
    createdAt=NOW,
)


RESERVED = StockReserved(**IDS, sku="s-1", quantity=1)


UNAVAILABLE = StockUnavailable(**IDS, sku="s-1", requested=1, available=0)


AUTHORIZED = PaymentAuthorized(**IDS, amount="9.99", authorizationCode="A1", processedAt=NOW)


DECLINED = PaymentRejected(**IDS, amount="9.99", rejectionReason="limit", processedAt=NOW)


CONFIRMED_EVT = OrderConfirmed(**IDS)


CANCELLED_EVT = OrderCancelled(**IDS, reason="timeout")


REJECTED_EVT = OrderRejected(**IDS, reasons=["unknown customer"])


VOIDED = PaymentVoided(**IDS, amount="9.99", authorizationCode="A1", voidedAt=NOW)


@pytest.mark.parametrize(
    ("current", "event", "expected"),
    [
        (PENDING, CREATED_EVT, CREATED),
        (PENDING, REJECTED_EVT, REJECTED),
        (CREATED, RESERVED, STOCK_RESERVED),
        (STOCK_RESERVED, RESERVED, STOCK_RESERVED),
        (CREATED, UNAVAILABLE, CREATED),
        (STOCK_RESERVED, AUTHORIZED, PAYMENT_AUTHORIZED),
        (STOCK_RESERVED, DECLINED, STOCK_RESERVED),
        (PAYMENT_AUTHORIZED, CONFIRMED_EVT, CONFIRMED),
        (STOCK_RESERVED, CANCELLED_EVT, CANCELLED),
        (CREATED, CANCELLED_EVT, CANCELLED),
        # late or stray events never move a status back, and terminal is final
        (PAYMENT_AUTHORIZED, RESERVED, PAYMENT_AUTHORIZED),
        (PAYMENT_AUTHORIZED, CREATED_EVT, PAYMENT_AUTHORIZED),
        (CONFIRMED, CANCELLED_EVT, CONFIRMED),
        (CANCELLED, AUTHORIZED, CANCELLED),
        (REJECTED, CREATED_EVT, REJECTED),
    ],
)
def test_transitions(current: OrderState, event: OrderMessage, expected: str) -> None:
    assert next_status(current, event) == expected


def fold(*events: OrderMessage, state: OrderStatus | None = None) -> OrderStatus:
    for body in events:
        env = envelope.build(body, correlation_id="o-1", timestamp=NOW)
        state = evolve(state, Parsed(env, body))
    assert state is not None
    return state


def test_happy_path_keeps_details_and_history() -> None:
    status = fold(CREATED_EVT, RESERVED, AUTHORIZED, CONFIRMED_EVT)
    public = status.public()
    assert public["status"] == CONFIRMED
    assert [e["type"] for e in public["events"]] == [
        "OrderCreated",
        "StockReserved",
        "PaymentAuthorized",
        "OrderConfirmed",
    ]
    assert public["details"] == {
        "userId": "u-1",
        "amount": 9.99,
        "currency": "EUR",
        "items": [{"sku": "s-1", "name": "Thing", "quantity": 1, "unitPrice": 9.99}],
        "createdAt": "2026-11-24T10:00:00.000Z",
        "paymentStatus": "AUTHORIZED",
        "authorizationCode": "A1",
    }
    assert public["lastUpdated"] == "2026-11-24T10:00:00.000Z"
    assert set(public) == {"orderId", "status", "details", "events", "lastUpdated"}


def test_cancellation_reason_is_visible() -> None:
    status = fold(CREATED_EVT, UNAVAILABLE, CANCELLED_EVT)
    assert status.status == CANCELLED
    assert status.details["cancellationReason"] == "timeout"
    assert status.details["paymentStatus"] == "PENDING"


def test_payment_rejection_and_order_rejection_reasons_are_visible() -> None:
    declined = fold(CREATED_EVT, RESERVED, DECLINED, CANCELLED_EVT)
    assert declined.details["paymentStatus"] == "REJECTED"
    assert declined.details["rejectionReason"] == "limit"
    rejected = fold(REJECTED_EVT)
    assert rejected.status == REJECTED
    assert rejected.details == {"userId": "u-1", "rejectionReason": "unknown customer"}


def test_same_event_id_applied_twice_changes_nothing() -> None:
    env = envelope.build(CREATED_EVT, correlation_id="o-1", event_id=uuid.uuid4(), timestamp=NOW)
    once = evolve(None, Parsed(env, CREATED_EVT))
    twice = evolve(once, Parsed(env, CREATED_EVT))
    assert twice == once
    assert len(twice.events) == 1


def test_same_type_with_new_event_id_is_a_new_event() -> None:
    status = fold(CREATED_EVT, RESERVED, RESERVED)
    assert len(status.events) == 3


def test_stock_reserved_only_once_every_item_is_reserved_and_voids_show() -> None:
    two_items = CREATED_EVT.model_copy(
        update={
            "items": [
                *CREATED_EVT.items,
                PricedItem(sku="s-2", name="Other", quantity=1, unitPrice="1"),
            ]
        }
    )
    partly = fold(two_items, RESERVED)
    assert partly.status == CREATED
    both = fold(two_items, RESERVED, StockReserved(**IDS, sku="s-2", quantity=1))
    assert both.status == STOCK_RESERVED
    voided = fold(CREATED_EVT, RESERVED, CANCELLED_EVT, AUTHORIZED, VOIDED)
    assert voided.status == CANCELLED and voided.details["paymentStatus"] == "VOIDED"


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
