"""Aggregate arithmetic, idempotency per order, window bucketing."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from domain import aggregates
from domain.messages import (
    Customer,
    OrderCancelled,
    OrderConfirmed,
    OrderCreated,
    OrderMessage,
    OrderRejected,
    PricedItem,
    StockReserved,
    types_on,
)
from tests.support.events import event

NOW = datetime(2026, 11, 24, 10, 30, tzinfo=UTC)


def created(order: str, amount: str, at: datetime = NOW) -> OrderCreated:
    return OrderCreated(
        orderId=order, userId="u-1",
        customer=Customer(name="Ada", email="a@example.com", tier="gold"),
        items=[PricedItem(sku="s", name="S", quantity=1, unitPrice=amount)], amount=amount,
        currency="EUR", createdAt=at,
    )  # fmt: skip


def fold(*events: OrderMessage) -> aggregates.UserAggregate:
    """The events as by-user records at offsets 0, 1, … with no commit between them."""
    state = None
    for at, body in enumerate(events):
        state = aggregates.evolve(state, event(body), at=at).state
    assert state is not None
    return state


def seen(state: aggregates.UserAggregate, order_id: str = "o1") -> aggregates.OrderSeen | None:
    return state.seen(order_id)


def test_totals_count_each_outcome_once() -> None:
    ids = {"userId": "u-1"}
    state = fold(
        created("o1", "10.00"), OrderConfirmed(orderId="o1", **ids, amount="10.00"),
        created("o2", "20.00"), OrderConfirmed(orderId="o2", **ids),
        created("o3", "5.00"),
        OrderCancelled(orderId="o3", **ids, reason="out of stock: s (requested 2)"),
        created("o4", "7.00"), OrderCancelled(orderId="o4", **ids, reason="timeout"),
        created("o5", "1.00"), StockReserved(orderId="o5", **ids, sku="s", quantity=1),
        OrderRejected(orderId="o6", **ids, reasons=["unknown sku x"]),
    )  # fmt: skip
    t = state.totals
    assert (t.ordersPlaced, t.ordersConfirmed, t.ordersCancelled, t.ordersRejected) == (5, 2, 2, 1)
    assert t.amountConfirmed == Decimal("30.00") and t.averageBasket == Decimal("15.00")
    assert t.cancellationReasons == {"out of stock": 1, "timeout": 1}
    assert t.lastOrderAt == NOW


@pytest.mark.parametrize(
    "replay",
    [
        lambda e: [e[0], e[0], e[1], e[1]],  # every event delivered twice
        lambda e: [e[0], e[1], e[0], e[1]],  # the whole sequence again
        lambda e: [e[0], e[1], e[2]],  # a cancellation after the confirmation
    ],
)
def test_redelivery_and_late_events_change_nothing(replay) -> None:
    ids = {"orderId": "o1", "userId": "u-1"}
    events = [
        created("o1", "10.00"),
        OrderConfirmed(**ids, amount="10.00"),
        OrderCancelled(**ids, reason="timeout"),
    ]
    t = fold(*replay(events)).totals
    assert (t.ordersPlaced, t.ordersConfirmed, t.ordersCancelled, t.amountConfirmed) == (
        1,
        1,
        0,
        Decimal("10.00"),
    )


def test_windows_see_placements_and_confirmed_revenue_and_a_repeat_counts_nothing() -> None:
    placed = aggregates.evolve(None, event(created("o1", "12.50")), at=0)
    change = aggregates.in_windows(placed.seen, created("o1", "12.50"))
    assert change.placed and change.confirmed_amount is None
    confirmation = OrderConfirmed(orderId="o1", userId="u-1")
    confirmed = aggregates.evolve(placed.state, event(confirmation), at=1)
    change = aggregates.in_windows(confirmed.seen, confirmation)
    assert change.confirmed_amount == Decimal("12.50") and not change.placed
    again = aggregates.evolve(placed.state, event(created("o1", "12.50")), at=2)
    assert again.state == placed.state


def test_hour_buckets() -> None:
    assert aggregates.hour_start(NOW) == datetime(2026, 11, 24, 10, tzinfo=UTC)
    hours = aggregates.last_hours(NOW, 3)
    assert hours == [datetime(2026, 11, 24, h, tzinfo=UTC) for h in (8, 9, 10)]


def test_windows_are_read_from_the_state_so_a_redelivery_rewrites_them_alike() -> None:
    ids = {"orderId": "o1", "userId": "u-1"}
    placed = fold(created("o1", "9.00"))
    assert aggregates.in_windows(seen(placed), created("o1", "9.00")) == aggregates.Change(
        placed=True
    )
    confirmed = fold(created("o1", "9.00"), OrderConfirmed(**ids))
    assert aggregates.in_windows(seen(confirmed), OrderConfirmed(**ids)).confirmed_amount == (
        Decimal("9.00")
    )
    cancelled = fold(created("o1", "9.00"), OrderCancelled(**ids, reason="timeout"))
    assert aggregates.in_windows(seen(cancelled), OrderConfirmed(**ids)) == aggregates.Change()


def test_the_repartition_filter_names_the_types_evolve_counts() -> None:
    """``COUNTED`` decides what crosses the by-user repartition: the four outcome types by
    their wire names, so a renamed class cannot silently stop being counted."""
    counted = {OrderCreated, OrderRejected, OrderConfirmed, OrderCancelled}
    assert {cls.__name__ for cls in counted} == aggregates.COUNTED
    assert set(types_on("orders.events")) >= aggregates.COUNTED
    reserved = StockReserved(orderId="o-1", userId="u-1", sku="kb", quantity=1)
    ignored = aggregates.evolve(None, event(reserved), at=0)
    assert ignored.state.orders == {} and ignored.settled is None
    assert aggregates.in_windows(ignored.seen, reserved) == aggregates.Change()
