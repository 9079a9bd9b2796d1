"""Payment rules: the gateway's tier limits and seeded declines."""

from __future__ import annotations

import pytest

from domain import payments
from domain.messages import (
    AuthorizePayment,
)


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
