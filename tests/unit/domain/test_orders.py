"""The order handler's rules: accepted priced with the customer, or rejected with every reason."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from domain import orders, users
from domain.envelope import derive_event_id
from domain.messages import (
    CancelOrder,
    CartCleared,
    CatalogItem,
    LineItem,
    OrderCancellationRequested,
    OrderCreated,
    OrderRejected,
    PlaceOrder,
)
from domain.orders import place_order
from tests.support.events import body_of, event, event_id

NOW = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)


CATALOG = {
    "kb": CatalogItem(sku="kb", name="Keyboard", unitPrice=Decimal("89.90")),
    "chair": CatalogItem(sku="chair", name="Chair", unitPrice=Decimal("329.00")),
}


ADA = users.UserProfile(userId="u-1", name="Ada", email="ada@example.com", tier="gold")


def order(*lines: tuple[str, int], currency: str = "EUR", user: str = "u-1") -> PlaceOrder:
    return PlaceOrder(
        orderId="o-1",
        userId=user,
        currency=currency,
        items=[LineItem(sku=s, quantity=q) for s, q in lines],
    )


def test_valid_order_is_created_priced_with_the_customer_snapshot() -> None:
    result = place_order(order(("kb", 2), ("chair", 1)), ADA, CATALOG, NOW)
    assert isinstance(result, OrderCreated)
    assert result.amount == Decimal("508.80")
    assert [(i.sku, i.name, i.unitPrice) for i in result.items] == [
        ("kb", "Keyboard", Decimal("89.90")),
        ("chair", "Chair", Decimal("329.00")),
    ]
    assert result.customer.tier == "gold" and result.createdAt == NOW


@pytest.mark.parametrize(
    ("command", "customer", "reasons"),
    [
        (order(("kb", 1), user="u-9"), None, ["unknown customer u-9"]),
        (
            order(("kb", 1)),
            ADA.model_copy(update={"active": False}),
            ["customer u-1 is not active"],
        ),
        (order(), ADA, ["no items"]),
        (order(("kb", 0)), ADA, ["quantity of kb must be 1..100, got 0"]),
        (order(("kb", -3)), ADA, ["quantity of kb must be 1..100, got -3"]),
        (order(("nope", 1)), ADA, ["unknown sku nope"]),
        (order(("kb", 1), ("kb", 2)), ADA, ["sku kb appears twice"]),
        (order(("kb", 1), currency="DOGE"), ADA, ["unknown currency 'DOGE'"]),
        (order(("chair", 100)), ADA, []),  # 32,900.00 is above the order limit
        (
            order(("nope", 0), currency="X", user="u-2"),
            None,
            [
                "unknown customer u-2",
                "quantity of nope must be 1..100, got 0",
                "unknown sku nope",
                "unknown currency 'X'",
            ],
        ),
    ],
)
def test_rejections_list_every_reason(
    command: PlaceOrder, customer: users.UserProfile | None, reasons: list[str]
) -> None:
    result = place_order(command, customer, CATALOG, NOW)
    assert isinstance(result, OrderRejected)
    if reasons:
        assert result.reasons == reasons
    else:
        assert result.reasons[0].startswith("amount 32900.00 exceeds the order limit")


def decide(
    decision: orders.Decision | None, body: PlaceOrder | CancelOrder, customer: Any = ADA
) -> tuple[orders.Decision | None, list[str]]:
    after, out = orders.decide(decision, event(body, "cmd"), customer=customer, catalog=CATALOG,
                               now=NOW)  # fmt: skip
    return after, [e.eventType for e in out]


def test_a_place_order_is_decided_once_and_a_repeat_sends_the_same_envelopes() -> None:
    decision, sent = decide(None, order(("kb", 1)))
    assert decision is not None and sent == ["OrderCreated"]
    again, out = orders.decide(decision, event(order(("kb", 1)), "cmd"), customer=None,
                               catalog={}, now=NOW)  # fmt: skip
    assert again == decision and out == decision.envelopes  # not decided again without a customer


def test_a_checkout_clears_what_it_ordered_from_the_cart_once_the_order_is_created() -> None:
    checkout = order(("kb", 2)).model_copy(update={"fromCart": True})
    decision, sent = decide(None, checkout)
    assert sent == ["OrderCreated", "CartCleared"]
    assert decision is not None
    cleared = body_of(decision.envelopes[1])
    assert isinstance(cleared, CartCleared) and cleared.items == checkout.items
    _, rejected = decide(None, checkout, customer=None)
    assert rejected == ["OrderRejected"]  # a rejected checkout leaves the cart as it is


def test_a_cancel_order_asks_the_saga_and_keeps_no_decision() -> None:
    cancel = CancelOrder(orderId="o-1", userId="u-1", reason="changed my mind")
    decision, out = orders.decide(None, event(cancel, "c"), customer=None, catalog={}, now=NOW)
    assert decision is None and [e.eventType for e in out] == ["OrderCancellationRequested"]
    request = body_of(out[0])
    assert isinstance(request, OrderCancellationRequested) and request.reason == "changed my mind"
    assert out[0].eventId == derive_event_id(str(event_id("c")), "cancel-request")
