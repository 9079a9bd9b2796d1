"""Payment rules: the gateway's limits and seeded declines; what a payment records and answers."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from domain import payments
from domain.envelope import derive_event_id
from domain.messages import AuthorizePayment, VoidPayment
from tests.support.events import body_of, event, event_id


def pay(amount: str, tier: str = "standard", order_id: str = "o-1") -> AuthorizePayment:
    return AuthorizePayment(
        orderId=order_id, userId="u-1", amount=amount, currency="EUR", tier=tier
    )


@pytest.mark.parametrize(
    ("cmd", "outcome"),
    [
        (pay("999.99"), payments.Approved),
        (pay("1000.00"), payments.Approved),
        (pay("1000.01"), payments.Declined),
        (pay("4999.00", "gold"), payments.Approved),
        (pay("5000.01", "gold"), payments.Declined),
    ],
)
def test_tier_limits(cmd: AuthorizePayment, outcome: type) -> None:
    assert isinstance(payments.authorize(cmd, seed=1, decline_rate=0.0), outcome)


def test_tier_decline_names_the_limit_and_random_declines_are_seeded() -> None:
    declined = payments.authorize(pay("1500"), seed=1, decline_rate=0.0)
    assert (
        isinstance(declined, payments.Declined) and "standard tier limit 1000.00" in declined.reason
    )
    runs = [
        [
            type(payments.authorize(pay("10", order_id=f"o-{i}"), seed=7, decline_rate=0.3))
            for i in range(200)
        ]
        for _ in range(2)
    ]
    assert runs[0] == runs[1]
    assert 30 < runs[0].count(payments.Declined) < 90
    first = payments.authorize(pay("10"), seed=7, decline_rate=0.0)
    assert isinstance(first, payments.Approved) and first == payments.authorize(
        pay("10"), seed=7, decline_rate=0.0
    )


NOW = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)


def void(code: str = "AUTH-1") -> VoidPayment:
    return VoidPayment(orderId="o-1", userId="u-1", amount="10.00", authorizationCode=code)


def record(status: str, code: str | None = "AUTH-1") -> payments.PaymentRecord:
    return payments.PaymentRecord(
        orderId="o-1", status=status, amount="10.00", authorizationCode=code,
        rejectionReason=None if code else "card declined by issuer",
    )  # fmt: skip


@pytest.mark.parametrize(
    ("before", "outcome", "after", "answer"),
    [
        # first authorization: recorded from the gateway, answered
        (None, payments.Approved("AUTH-1"), "AUTHORIZED", "PaymentAuthorized"),
        (None, payments.Declined("card declined by issuer"), "REJECTED", "PaymentRejected"),
        # a repeat: answered from the record, the gateway not asked
        (record("AUTHORIZED"), None, "AUTHORIZED", "PaymentAuthorized"),
        (record("REJECTED", code=None), None, "REJECTED", "PaymentRejected"),
    ],
)
def test_an_authorization_is_recorded_once_and_answered_every_time(
    before: payments.PaymentRecord | None,
    outcome: payments.Approved | payments.Declined | None,
    after: str,
    answer: str,
) -> None:
    assert payments.asks_gateway(pay("10.00"), before) is (before is None)
    new, out = payments.decide(before, event(pay("10.00"), "a"), outcome=outcome, now=NOW)
    assert new is not None and new.status == after
    assert [e.eventType for e in out] == [answer]
    assert out[0].eventId == derive_event_id(str(event_id("a")), "answer")
    assert body_of(out[0]).model_dump()["processedAt"] == NOW


@pytest.mark.parametrize(
    ("before", "after", "sent"),
    [
        (record("AUTHORIZED"), "VOIDED", ["PaymentVoided"]),  # a late authorization, voided
        (record("VOIDED"), "VOIDED", ["PaymentVoided"]),  # again: the same event id downstream
        (record("REJECTED", code=None), "REJECTED", []),  # nothing was authorized
        (None, None, []),  # no payment for the order
    ],
)
def test_a_void_marks_an_authorized_payment_and_says_so(
    before: payments.PaymentRecord | None, after: str | None, sent: list[str]
) -> None:
    assert not payments.asks_gateway(void(), before)
    new, out = payments.decide(before, event(void(), "v"), outcome=None, now=NOW)
    assert (new.status if new else None) == after and [e.eventType for e in out] == sent
