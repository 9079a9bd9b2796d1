"""The saga's transitions, one row each, including duplicates, late replies and timeouts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from domain.envelope import derive_event_id
from domain.messages import (
    Customer,
    OrderCancellationRequested,
    OrderCreated,
    OrderMessage,
    OrderTimedOut,
    PaymentAuthorized,
    PaymentRejected,
    PricedItem,
    StockReserved,
    StockUnavailable,
)
from domain.saga import SagaState, decide, ended
from tests.support.events import body_of, event, event_id

NOW = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
TIMEOUT = timedelta(seconds=30)
IDS = {"orderId": "o-1", "userId": "u-1"}


CREATED = OrderCreated(
    **IDS,
    customer=Customer(name="Ada", email="ada@example.com", tier="standard"),
    items=[
        PricedItem(sku="a", name="A", quantity=1, unitPrice="10"),
        PricedItem(sku="b", name="B", quantity=2, unitPrice="5"),
    ],
    amount="20",
    currency="EUR",
    createdAt=NOW,
)


RES_A = StockReserved(**IDS, sku="a", quantity=1)
RES_B = StockReserved(**IDS, sku="b", quantity=2)
UNAV_B = StockUnavailable(**IDS, sku="b", requested=2, available=1)
AUTH = PaymentAuthorized(**IDS, amount="20", authorizationCode="AUTH-1", processedAt=NOW)
DECLINE = PaymentRejected(**IDS, amount="20", rejectionReason="card declined", processedAt=NOW)


def timed_out(step: str) -> OrderTimedOut:
    return OrderTimedOut(**IDS, step=step, deadline=NOW)


def run(*events: OrderMessage) -> tuple[SagaState | None, list[list[str]]]:
    """Fold events (each with a fresh event id) and list what each one sent."""
    state, sent = None, []
    for n, body in enumerate(events):
        state, out = decide(state, event(body, f"e-{n}"), now=NOW, timeout=TIMEOUT)
        sent.append([_describe(body_of(env)) for env in out])
    return state, sent


def _describe(msg: object) -> str:
    name = type(msg).__name__
    sku = getattr(msg, "sku", None)
    return f"{name}:{sku}" if sku else name


@pytest.mark.parametrize(
    ("events", "stage", "last_sent", "reason"),
    [
        # happy path
        ((CREATED,), "AWAITING_STOCK", ["ReserveStock:a", "ReserveStock:b"], None),
        ((CREATED, RES_A), "AWAITING_STOCK", [], None),
        ((CREATED, RES_A, RES_B), "AWAITING_PAYMENT", ["AuthorizePayment"], None),
        (
            (CREATED, RES_A, RES_B, AUTH),
            "CONFIRMED",
            ["CommitStock:a", "CommitStock:b", "OrderConfirmed"],
            None,
        ),
        # failures compensate exactly what was reserved
        (
            (CREATED, RES_A, UNAV_B),
            "CANCELLED",
            ["ReleaseStock:a", "OrderCancelled"],
            "out of stock: b",
        ),
        ((CREATED, UNAV_B), "CANCELLED", ["OrderCancelled"], "out of stock: b"),
        (
            (CREATED, RES_A, RES_B, DECLINE),
            "CANCELLED",
            ["ReleaseStock:a", "ReleaseStock:b", "OrderCancelled"],
            "payment rejected",
        ),
        # deadlines
        (
            (CREATED, RES_A, timed_out("stock")),
            "CANCELLED",
            ["ReleaseStock:a", "OrderCancelled"],
            "timeout",
        ),
        (
            (CREATED, RES_A, RES_B, timed_out("payment")),
            "CANCELLED",
            ["ReleaseStock:a", "ReleaseStock:b", "OrderCancelled"],
            "timeout",
        ),
        ((CREATED, RES_A, RES_B, timed_out("stock")), "AWAITING_PAYMENT", [], None),  # stale step
        ((CREATED, RES_A, RES_B, AUTH, timed_out("payment")), "CONFIRMED", [], None),
        # late successes after a cancellation are compensated
        ((CREATED, UNAV_B, RES_A), "CANCELLED", ["ReleaseStock:a"], "out of stock: b"),
        (
            (CREATED, RES_A, RES_B, timed_out("payment"), AUTH),
            "CANCELLED",
            ["VoidPayment"],
            "timeout",
        ),
        ((CREATED, RES_A, RES_B, timed_out("payment"), AUTH, AUTH), "CANCELLED", [], "timeout"),
        ((CREATED, RES_A, UNAV_B, RES_A), "CANCELLED", [], "out of stock: b"),  # already released
        # late failures after a decision change nothing
        ((CREATED, RES_A, RES_B, AUTH, DECLINE), "CONFIRMED", [], None),
        ((CREATED, RES_A, UNAV_B, DECLINE), "CANCELLED", [], "out of stock: b"),
        ((CREATED, RES_A, RES_B, AUTH, UNAV_B), "CONFIRMED", [], None),
        ((CREATED, RES_A, RES_B, AUTH, RES_A), "CONFIRMED", [], None),
    ],
)
def test_transition(
    events: tuple[OrderMessage, ...], stage: str, last_sent: list[str], reason: str | None
) -> None:
    state, sent = run(*events)
    assert state is not None
    assert state.stage == stage
    assert sent[-1] == last_sent
    if reason is None:
        assert state.reason is None
    else:
        assert state.reason is not None and state.reason.startswith(reason)


def test_event_without_a_saga_starts_nothing() -> None:
    assert decide(None, event(RES_A, "e-1"), now=NOW, timeout=TIMEOUT) == (None, [])


def test_duplicate_event_id_changes_nothing_and_sends_only_what_it_sent() -> None:
    state, reserves = decide(None, event(CREATED, "e-0"), now=NOW, timeout=TIMEOUT)
    state, _ = decide(state, event(RES_A, "e-1"), now=NOW, timeout=TIMEOUT)
    again, out = decide(state, event(RES_A, "e-1"), now=NOW, timeout=TIMEOUT)
    assert again == state and out == []
    restart, out = decide(state, event(CREATED, "e-0"), now=NOW, timeout=TIMEOUT)
    assert restart == state and out == reserves


def test_an_earlier_step_delivered_again_sends_its_own_envelopes_again() -> None:
    # Given a saga cancelled for want of b (a's reservation released, the order cancelled),
    # then a later event applied: with the record cache both reach the changelog as one value,
    # and a kill -9 after that flush may have lost the cancellation's sends
    state, _ = decide(None, event(CREATED, "e-0"), now=NOW, timeout=TIMEOUT)
    state, _ = decide(state, event(RES_A, "e-1"), now=NOW, timeout=TIMEOUT)
    state, cancelled = decide(state, event(UNAV_B, "e-2"), now=NOW, timeout=TIMEOUT)
    state, late = decide(state, event(timed_out("stock"), "e-3"), now=NOW, timeout=TIMEOUT)
    assert [_describe(body_of(e)) for e in cancelled] == ["ReleaseStock:a", "OrderCancelled"]
    assert late == []
    # When the cancelling event comes again, Then its envelopes go out again, the very same
    again, resent = decide(state, event(UNAV_B, "e-2"), now=NOW, timeout=TIMEOUT)
    assert again == state and resent == cancelled


def test_the_last_event_delivered_again_sends_its_outbox_again() -> None:
    # Given a saga whose last step sent two ReserveStock (a crash may have lost them)
    state, sent = decide(None, event(CREATED, "e-0"), now=NOW, timeout=TIMEOUT)
    assert state is not None and state.outbox == sent and len(sent) == 2
    # When that step's event comes again, Then the very same envelopes go out, nothing changes
    later = NOW + timedelta(seconds=3)
    again, resent = decide(state, event(CREATED, "e-0"), now=later, timeout=TIMEOUT)
    assert again == state and resent == sent


def test_deadline_is_set_per_step() -> None:
    state, _ = run(CREATED)
    assert state is not None and state.deadline == NOW + TIMEOUT and state.step == "stock"
    later = NOW + timedelta(seconds=5)
    state, _ = decide(state, event(RES_A, "r-a"), now=later, timeout=TIMEOUT)
    state, _ = decide(state, event(RES_B, "r-b"), now=later, timeout=TIMEOUT)
    assert state is not None and state.step == "payment" and state.deadline == later + TIMEOUT
    state, _ = decide(state, event(AUTH, "auth"), now=later, timeout=TIMEOUT)
    assert state is not None and state.deadline is None


def test_cancelled_and_confirmed_carry_amount() -> None:
    state, _ = run(CREATED, RES_A, RES_B)
    assert state is not None
    paid_at = NOW + timedelta(seconds=2)  # the cause's time stamps what it decides: not ``now``
    _, out = decide(state, event(AUTH, "x", at=paid_at), now=NOW, timeout=TIMEOUT)
    confirmed = body_of(out[-1])
    assert confirmed.model_dump(include={"amount", "currency"}) == {
        "amount": CREATED.amount,
        "currency": "EUR",
    }
    # each id derives from the cause and the step: a repeat of the step sends the same event
    steps = ["commit/a", "commit/b", "confirm"]
    assert [e.eventId for e in out] == [derive_event_id(str(event_id("x")), s) for s in steps]
    assert confirmed.model_dump()["confirmedAt"] == paid_at
    assert {e.timestamp for e in out} == {paid_at}
    _, out = decide(state, event(DECLINE, "y", at=paid_at), now=NOW, timeout=TIMEOUT)
    cancelled = body_of(out[-1]).model_dump()
    assert (cancelled["amount"], cancelled["cancelledAt"]) == (CREATED.amount, paid_at)


@pytest.mark.parametrize(
    ("before", "stage", "sent"),
    [
        ((CREATED, RES_A), "CANCELLED", ["ReleaseStock:a", "OrderCancelled"]),
        (
            (CREATED, RES_A, RES_B),
            "CANCELLED",
            ["ReleaseStock:a", "ReleaseStock:b", "OrderCancelled"],
        ),
        ((CREATED, RES_A, RES_B, AUTH), "CONFIRMED", []),
    ],
)
def test_customer_cancellation_while_waiting_compensates(
    before: tuple[OrderMessage, ...], stage: str, sent: list[str]
) -> None:
    request = OrderCancellationRequested(**IDS, reason="changed my mind")
    state, out = run(*before, request)
    assert state is not None and state.stage == stage and out[-1] == sent
    if stage == "CANCELLED":
        assert state.reason == "cancelled by customer: changed my mind"


@pytest.mark.parametrize(
    ("events", "outcome"),
    [
        ((CREATED,), None),
        ((CREATED, RES_A, RES_B), None),
        ((CREATED, RES_A, RES_B, AUTH), "confirmed"),
        ((CREATED, RES_A, UNAV_B), "out_of_stock"),
        ((CREATED, RES_A, RES_B, DECLINE), "payment_rejected"),
        ((CREATED, RES_A, timed_out("stock")), "timeout"),
        ((CREATED, RES_A, RES_B, timed_out("payment")), "timeout"),
        ((CREATED, UNAV_B, RES_A), None),  # a late reservation after the end counts nothing
    ],
)
def test_a_saga_ends_once_with_its_outcome(events: tuple[Any, ...], outcome: str | None) -> None:
    before, _ = run(*events[:-1]) if len(events) > 1 else (None, [])
    after, _ = run(*events)
    assert ended(before, after) == outcome
    assert after is not None and after.startedAt is not None
