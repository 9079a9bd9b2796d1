"""Per-user totals folded from order events, idempotent per order; window bucketing.

``evolve(state, event, at=…) -> Folded``: an order moves PLACED → CONFIRMED | CANCELLED, or is
REJECTED; each move is counted once however often its event is delivered. The user's value
stays small whatever the user's history: it lists the orders still open and those settled since
the consumer's last commit (``recent``, with the by-user offset that settled them); every
settled order is also written to a ledger keyed by ``ledger_key`` (the ``user-orders`` table),
read only for an event of an order the value does not list. Why both: the value and the ledger
are two changelogs, and a ``kill -9`` between their flushes can keep the value without the
ledger entry. The commit waits for both, so the records after it come again, and an order
settled by one of them is still in ``recent``: its ledger entry is written again. Once the
commit passes the offset that settled it, its ledger entry was acknowledged, and it leaves the
value. The stock levels keep their settled requests the same way (``domain.inventory``).
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
    """Where one of the user's orders stands."""

    model_config = ConfigDict(frozen=True)
    state: OrderState
    amount: Decimal = Decimal("0")


class Settled(OrderSeen):
    """An order settled by the by-user record at ``offset`` (a ledger entry; kept in the user's
    value too until the consumer's commit passes that offset)."""

    offset: int


class UserAggregate(BaseModel):
    """What the aggregator keeps per user: the totals, the orders still open (a value written
    before the ledger lists settled ones there too, and they still count as seen), and the
    orders settled since the last commit."""

    model_config = ConfigDict(frozen=True)
    totals: UserTotals
    orders: dict[str, OrderSeen] = Field(default_factory=dict)
    recent: dict[str, Settled] = Field(default_factory=dict)

    def seen(self, order_id: str) -> OrderSeen | None:
        """Where the order stands as far as this value knows (None: ask the ledger)."""
        return self.orders.get(order_id) or self.recent.get(order_id)


@dataclass(frozen=True, slots=True)
class Folded:
    """An event folded into a user's value: the new value, where the order stands after it (for
    the windows), and the ledger entry to write for it (an order settled by this record, or by
    an earlier one not yet past the commit: written again, in case a crash lost it)."""

    state: UserAggregate
    seen: OrderSeen | None
    settled: Settled | None = None


def ledger_key(user_id: str, order_id: str) -> str:
    """The ``user-orders`` key of one order of one user (kept in the user's partition)."""
    return f"{user_id}/{order_id}"


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


def _trimmed(state: UserAggregate, committed: int | None) -> UserAggregate:
    """Without the settled orders whose record is below the committed offset (their ledger
    entries acknowledged before the commit)."""
    if committed is None or all(s.offset >= committed for s in state.recent.values()):
        return state
    recent = {o: s for o, s in state.recent.items() if s.offset >= committed}
    return state.model_copy(update={"recent": recent})


def evolve(
    state: UserAggregate | None,
    event: Parsed,
    *,
    at: int,
    committed: int | None = None,
    ledger: Settled | None = None,
) -> Folded:
    """Fold one event of one of the user's orders, the by-user record at offset ``at``.
    ``committed``: the consumer's committed offset of that partition (None: none yet, nothing
    leaves the value); ``ledger``: the order's ledger entry, read when ``state.seen`` does not
    know the order. An entry at or past the commit is not taken: its record comes again after a
    crash, and a value that does not list the order lost that record's write (a crash kept the
    ledger's flush, not the value's). The totals are unchanged when the event was already
    counted (or is not an event totals care about)."""
    body = event.body
    assert isinstance(body, OrderMessage)
    state = state or UserAggregate(totals=UserTotals(userId=body.userId))
    order_id, t = body.orderId, state.totals
    if ledger is not None and (committed is None or ledger.offset >= committed):
        ledger = None
    seen = state.seen(order_id) or ledger  # before trimming: what leaves ``recent`` was seen
    state = _trimmed(state, committed)
    if isinstance(body, OrderCreated) and seen is None:
        last = max(filter(None, (t.lastOrderAt, body.createdAt)))
        totals = _totals(state, ordersPlaced=t.ordersPlaced + 1, lastOrderAt=last)
        placed = OrderSeen(state="PLACED", amount=body.amount)
        orders = {**state.orders, order_id: placed}
        return Folded(state.model_copy(update={"totals": totals, "orders": orders}), placed)
    if isinstance(body, OrderRejected) and seen is None:
        totals = _totals(state, ordersRejected=t.ordersRejected + 1)
        return _settle(state, order_id, Settled(state="REJECTED", offset=at), totals)
    if (
        seen is None
        or seen.state != "PLACED"
        or not isinstance(body, OrderConfirmed | OrderCancelled)
    ):
        entry = state.recent.get(order_id)  # settled since the commit: written again
        return Folded(state, entry or seen, entry)
    if isinstance(body, OrderConfirmed):
        amount = body.amount if body.amount is not None else seen.amount
        totals = _totals(
            state, ordersConfirmed=t.ordersConfirmed + 1, amountConfirmed=t.amountConfirmed + amount
        )
        return _settle(
            state, order_id, Settled(state="CONFIRMED", amount=amount, offset=at), totals
        )
    category = reason_category(body.reason)
    reasons = {**t.cancellationReasons, category: t.cancellationReasons.get(category, 0) + 1}
    totals = _totals(state, ordersCancelled=t.ordersCancelled + 1, cancellationReasons=reasons)
    ended = Settled(state="CANCELLED", amount=seen.amount, offset=at)
    return _settle(state, order_id, ended, totals)


def _settle(state: UserAggregate, order_id: str, ended: Settled, totals: UserTotals) -> Folded:
    """The order leaves the open ones for ``recent``, and its ledger entry is written."""
    orders = {o: v for o, v in state.orders.items() if o != order_id}
    recent = {**state.recent, order_id: ended}
    after = state.model_copy(update={"totals": totals, "orders": orders, "recent": recent})
    return Folded(after, ended, ended)


def hour_start(moment: datetime) -> datetime:
    """The tumbling hour a moment falls in (UTC)."""
    return moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def last_hours(now: datetime, hours: int) -> list[datetime]:
    """The starts of the ``hours`` most recent hourly windows, oldest first, the current last."""
    current = hour_start(now).timestamp()
    return [datetime.fromtimestamp(current - 3600 * i, UTC) for i in range(hours - 1, -1, -1)]


def in_windows(seen: OrderSeen | None, body: OrderMessage) -> Change:
    """What this event stands for in the window tables, read from where the order stands after
    it (``Folded.seen``), not from the transition, so that a redelivered event writes its
    windows again, idempotently."""
    if isinstance(body, OrderCreated) and seen is not None:
        return Change(placed=True)
    if isinstance(body, OrderConfirmed) and seen is not None and seen.state == "CONFIRMED":
        return Change(confirmed_amount=seen.amount)
    return Change()
