"""Per-user totals folded from order events, idempotent per order; window bucketing.

``evolve(state, event) -> state``: an order moves PLACED → CONFIRMED | CANCELLED, or is
REJECTED; each move is counted once however often its event is delivered, because the state
remembers where each order of the user stands.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from domain.envelope import Parsed
from domain.messages import (
    OrderCancelled,
    OrderConfirmed,
    OrderCreated,
    OrderMessage,
    OrderRejected,
    UserTotals,
)

OrderState = Literal["PLACED", "CONFIRMED", "CANCELLED", "REJECTED"]
# the event types ``evolve`` and ``in_windows`` count; every other one leaves a user unchanged
COUNTED = frozenset({"OrderCreated", "OrderRejected", "OrderConfirmed", "OrderCancelled"})
CENT = Decimal("0.01")


class OrderSeen(BaseModel):
    model_config = ConfigDict(frozen=True)
    state: OrderState
    amount: Decimal = Decimal("0")


class UserAggregate(BaseModel):
    """What the aggregator keeps per user: the totals, and where each order stands."""

    model_config = ConfigDict(frozen=True)
    totals: UserTotals
    orders: dict[str, OrderSeen] = Field(default_factory=dict)


@dataclass(frozen=True)
class Change:
    """What an event stands for in the window tables: an order placed, or revenue confirmed."""

    placed: bool = False
    confirmed_amount: Decimal | None = None


def reason_category(reason: str) -> str:
    """``out of stock: sku-1 (requested 3 …)`` → ``out of stock``: a bounded set of keys."""
    return reason.split(":", 1)[0].strip() or "unknown"


def _totals(state: UserAggregate, **changes: object) -> UserTotals:
    totals = state.totals.model_copy(update=changes)
    if totals.ordersConfirmed:
        average = (totals.amountConfirmed / totals.ordersConfirmed).quantize(CENT, ROUND_HALF_EVEN)
        totals = totals.model_copy(update={"averageBasket": average})
    return totals


def _with(
    state: UserAggregate, order_id: str, seen: OrderSeen, totals: UserTotals
) -> UserAggregate:
    return state.model_copy(update={"totals": totals, "orders": {**state.orders, order_id: seen}})


def evolve(state: UserAggregate | None, event: Parsed) -> UserAggregate:
    """Fold one event of one of the user's orders; the state unchanged when it was already
    counted (or is not an event totals care about)."""
    body = event.body
    assert isinstance(body, OrderMessage)
    state = state or UserAggregate(totals=UserTotals(userId=body.userId))
    t, seen = state.totals, state.orders.get(body.orderId)
    if isinstance(body, OrderCreated) and seen is None:
        last = max(filter(None, (t.lastOrderAt, body.createdAt)))
        totals = _totals(state, ordersPlaced=t.ordersPlaced + 1, lastOrderAt=last)
        return _with(state, body.orderId, OrderSeen(state="PLACED", amount=body.amount), totals)
    if isinstance(body, OrderRejected) and seen is None:
        totals = _totals(state, ordersRejected=t.ordersRejected + 1)
        return _with(state, body.orderId, OrderSeen(state="REJECTED"), totals)
    if seen is None or seen.state != "PLACED":
        return state
    if isinstance(body, OrderConfirmed):
        amount = body.amount if body.amount is not None else seen.amount
        totals = _totals(
            state, ordersConfirmed=t.ordersConfirmed + 1, amountConfirmed=t.amountConfirmed + amount
        )
        return _with(state, body.orderId, OrderSeen(state="CONFIRMED", amount=amount), totals)
    if isinstance(body, OrderCancelled):
        category = reason_category(body.reason)
        reasons = {**t.cancellationReasons, category: t.cancellationReasons.get(category, 0) + 1}
        totals = _totals(state, ordersCancelled=t.ordersCancelled + 1, cancellationReasons=reasons)
        return _with(state, body.orderId, seen.model_copy(update={"state": "CANCELLED"}), totals)
    return state


def hour_start(moment: datetime) -> datetime:
    """The tumbling hour a moment falls in (UTC)."""
    return moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def last_hours(now: datetime, hours: int) -> list[datetime]:
    """The starts of the ``hours`` most recent hourly windows, oldest first, the current last."""
    current = hour_start(now).timestamp()
    return [datetime.fromtimestamp(current - 3600 * i, UTC) for i in range(hours - 1, -1, -1)]


def in_windows(state: UserAggregate, body: OrderMessage) -> Change:
    """What this event stands for in the window tables, read from the state (not from the
    transition), so that a redelivered event writes its windows again, idempotently."""
    seen = state.orders.get(body.orderId)
    if isinstance(body, OrderCreated) and seen is not None:
        return Change(placed=True)
    if isinstance(body, OrderConfirmed) and seen is not None and seen.state == "CONFIRMED":
        return Change(confirmed_amount=seen.amount)
    return Change()
