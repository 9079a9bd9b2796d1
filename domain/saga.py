"""The order saga as a pure function: ``decide(state, event) -> (state, envelopes to send)``.

Reserve every item → authorize the payment → confirm; on a failure or a missed deadline release
exactly what was reserved and cancel with the reason; a success that arrives after the
cancellation is compensated too (ReleaseStock for a late reservation, VoidPayment for a late
authorization). A repeated event (same eventId) changes nothing and sends nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from domain.aggregates import reason_category
from domain.envelope import Envelope, Parsed, caused_by
from domain.messages import (
    AuthorizePayment,
    CommitStock,
    Message,
    OrderCancellationRequested,
    OrderCancelled,
    OrderConfirmed,
    OrderCreated,
    OrderMessage,
    OrderTimedOut,
    PaymentAuthorized,
    PaymentRejected,
    ReleaseStock,
    ReserveStock,
    StockReserved,
    StockUnavailable,
    Tier,
    VoidPayment,
)

Stage = Literal["AWAITING_STOCK", "AWAITING_PAYMENT", "CONFIRMED", "CANCELLED"]
TIMEOUT_REASON = "timeout"


class SagaState(BaseModel):
    model_config = ConfigDict(frozen=True)

    orderId: str
    userId: str
    tier: Tier
    currency: str
    amount: Decimal
    stage: Stage
    items: dict[str, int]  # sku -> quantity ordered
    reserved: dict[str, int] = Field(default_factory=dict)
    released: list[str] = Field(default_factory=list)
    authorizationCode: str | None = None
    voided: bool = False
    reason: str | None = None
    step: str = "stock"  # what the saga waits for; a timeout names it
    deadline: datetime | None = None
    startedAt: datetime | None = None  # None in values written before it was kept
    applied: list[str] = Field(default_factory=list)
    # What every transition sent (each envelope names its cause), kept in the same value as the
    # state it led to: when a transition's event is redelivered (a crash after the table write,
    # before the sends reached the broker), ``decide`` returns that event's envelopes again; their
    # ids make the repeat harmless downstream. Every transition's, not only the last one's: with
    # the record cache, two transitions between flushes reach the changelog as one value, and a
    # kill -9 after that flush and before the first one's events left lost them for good (a
    # ReleaseStock and an OrderCancelled in ``make faults``: an order never ended, a reservation
    # was never released). Values written before kept only the last transition's.
    outbox: list[Envelope] = Field(default_factory=list)

    @property
    def waiting(self) -> bool:
        return self.stage in ("AWAITING_STOCK", "AWAITING_PAYMENT")


@dataclass(frozen=True)
class Outgoing:
    """A message a transition sends; ``step`` names it so its event id derives from the cause."""

    message: Message
    step: str


def _ids(state: SagaState) -> dict[str, str]:
    return {"orderId": state.orderId, "userId": state.userId}


def _start(
    event: OrderCreated, now: datetime, timeout: timedelta
) -> tuple[SagaState, list[Outgoing]]:
    state = SagaState(
        orderId=event.orderId, userId=event.userId, tier=event.customer.tier,
        currency=event.currency, amount=event.amount, stage="AWAITING_STOCK",
        items={i.sku: i.quantity for i in event.items}, deadline=now + timeout, startedAt=now,
    )  # fmt: skip
    out = [
        Outgoing(ReserveStock(**_ids(state), sku=s, quantity=q), f"reserve/{s}")
        for s, q in state.items.items()
    ]
    return state, out


def _cancel(state: SagaState, reason: str, now: datetime) -> tuple[SagaState, list[Outgoing]]:
    to_release = [s for s in state.reserved if s not in state.released]
    out = [
        Outgoing(ReleaseStock(**_ids(state), sku=s, quantity=state.reserved[s]), f"release/{s}")
        for s in to_release
    ]
    out.append(
        Outgoing(
            OrderCancelled(**_ids(state), amount=state.amount, reason=reason, cancelledAt=now),
            "cancel",
        )
    )
    new = state.model_copy(
        update={"stage": "CANCELLED", "reason": reason, "deadline": None,
                "released": [*state.released, *to_release]}
    )  # fmt: skip
    return new, out


def _on_reserved(
    state: SagaState, event: StockReserved, now: datetime, timeout: timedelta
) -> tuple[SagaState, list[Outgoing]]:
    reserved = {**state.reserved, event.sku: event.quantity}
    if state.stage == "CANCELLED" and event.sku not in state.released:
        late = Outgoing(
            ReleaseStock(**_ids(state), sku=event.sku, quantity=event.quantity),
            f"release/{event.sku}",
        )
        return state.model_copy(
            update={"reserved": reserved, "released": [*state.released, event.sku]}
        ), [late]
    if state.stage != "AWAITING_STOCK":
        return state, []
    state = state.model_copy(update={"reserved": reserved})
    if set(reserved) != set(state.items):
        return state, []
    pay = AuthorizePayment(
        **_ids(state), amount=state.amount, currency=state.currency, tier=state.tier
    )
    waiting = state.model_copy(
        update={"stage": "AWAITING_PAYMENT", "step": "payment", "deadline": now + timeout}
    )
    return waiting, [Outgoing(pay, "authorize")]


def _on_authorized(
    state: SagaState, event: PaymentAuthorized, now: datetime
) -> tuple[SagaState, list[Outgoing]]:
    if state.stage == "CANCELLED" and not state.voided:
        void = Outgoing(
            VoidPayment(
                **_ids(state), amount=state.amount, authorizationCode=event.authorizationCode
            ),
            "void",
        )
        return state.model_copy(
            update={"voided": True, "authorizationCode": event.authorizationCode}
        ), [void]
    if state.stage != "AWAITING_PAYMENT":
        return state, []
    out = [
        Outgoing(CommitStock(**_ids(state), sku=s, quantity=q), f"commit/{s}")
        for s, q in state.reserved.items()
    ]
    out.append(
        Outgoing(
            OrderConfirmed(
                **_ids(state), amount=state.amount, currency=state.currency, confirmedAt=now
            ),
            "confirm",
        )
    )
    done = state.model_copy(
        update={
            "stage": "CONFIRMED",
            "deadline": None,
            "authorizationCode": event.authorizationCode,
        }
    )
    return done, out


def _transition(
    state: SagaState, body: OrderMessage, now: datetime, timeout: timedelta, at: datetime
) -> tuple[SagaState, list[Outgoing]]:
    """``now`` (the clock) sets deadlines; ``at`` (the cause's time) stamps what it decides."""
    if isinstance(body, StockReserved):
        return _on_reserved(state, body, now, timeout)
    if isinstance(body, PaymentAuthorized):
        return _on_authorized(state, body, at)
    if isinstance(body, StockUnavailable) and state.stage == "AWAITING_STOCK":
        return _cancel(
            state,
            f"out of stock: {body.sku} (requested {body.requested}, available {body.available})",
            at,
        )
    if isinstance(body, PaymentRejected) and state.stage == "AWAITING_PAYMENT":
        return _cancel(state, f"payment rejected: {body.rejectionReason}", at)
    if isinstance(body, OrderTimedOut) and state.waiting and body.step == state.step:
        return _cancel(state, TIMEOUT_REASON, at)
    if isinstance(body, OrderCancellationRequested) and state.waiting:
        return _cancel(state, f"cancelled by customer: {body.reason}", at)
    return state, []


def ended(before: SagaState | None, after: SagaState | None) -> str | None:
    """The outcome when this transition ended the saga: ``confirmed``, or the cancellation
    reason's category in snake case (``out_of_stock``, ``payment_rejected``, ``timeout``,
    ``cancelled_by_customer``); None when it did not end it now."""
    if after is None or after.waiting or (before is not None and not before.waiting):
        return None
    if after.stage == "CONFIRMED":
        return "confirmed"
    return reason_category(after.reason or "unknown").replace(" ", "_")


def decide(
    state: SagaState | None, event: Parsed, *, now: datetime, timeout: timedelta
) -> tuple[SagaState | None, list[Envelope]]:
    """Fold one ``orders.events`` event into the saga; returns the new state and the envelopes to
    send, kept in the state's outbox. An event applied before, delivered again (a crash after the
    table write, before the sends reached the broker), sends what it sent then, again.

    What it sends is stamped with its cause's time, not the clock's (``now`` sets deadlines
    only): decided again after a ``kill -9`` (``replays_alike``), a step sends the very same
    envelopes, to the byte, not only the same ids (a window counts an event by its time)."""
    body, cause = event.body, event.envelope
    assert isinstance(body, OrderMessage)
    event_id = str(cause.eventId)
    if state is None:
        if not isinstance(body, OrderCreated):
            return None, []  # no saga for it (a rejected order, or an event of another flow)
        new, out = _start(body, now, timeout)
    elif event_id in state.applied:
        return state, [env for env in state.outbox if env.causationId == event_id]
    else:
        new, out = _transition(state, body, now, timeout, cause.timestamp)
    outbox = [caused_by(o.message, cause=cause, step=o.step, timestamp=cause.timestamp)
              for o in out]  # fmt: skip
    update = {"applied": [*new.applied, event_id], "outbox": [*new.outbox, *outbox]}
    return new.model_copy(update=update), outbox
