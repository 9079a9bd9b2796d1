"""Payment rules: what the simulated gateway answers (``authorize``), what the slice records."""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Literal, TypeGuard

from pydantic import BaseModel, ConfigDict

from domain.envelope import Envelope, Parsed, caused_by
from domain.messages import (
    AuthorizePayment,
    PaymentAuthorized,
    PaymentRejected,
    PaymentVoided,
    VoidPayment,
)

TIER_LIMITS = {"standard": Decimal("1000.00"), "gold": Decimal("5000.00")}
OUTAGE_CURRENCY = "XTS"  # ISO 4217 "reserved for testing": the gateway is down for it


@dataclass(frozen=True)
class Approved:
    authorization_code: str


@dataclass(frozen=True)
class Declined:
    reason: str


def authorize(cmd: AuthorizePayment, *, seed: int, decline_rate: float) -> Approved | Declined:
    """Above the tier limit: declined; else a seeded share is declined; else approved."""
    limit = TIER_LIMITS[cmd.tier]
    if cmd.amount > limit:
        return Declined(f"amount {cmd.amount} exceeds the {cmd.tier} tier limit {limit}")
    if random.Random(f"{seed}:{cmd.orderId}").random() < decline_rate:
        return Declined("card declined by issuer")
    digest = hashlib.sha256(f"{seed}:{cmd.orderId}".encode()).hexdigest()
    return Approved(f"AUTH-{digest[:10].upper()}")


class PaymentRecord(BaseModel):
    """What the payments slice knows of one order's payment (answers a repeated command alike)."""

    model_config = ConfigDict(frozen=True)

    orderId: str
    status: Literal["AUTHORIZED", "REJECTED", "VOIDED"]
    amount: Decimal
    authorizationCode: str | None = None
    rejectionReason: str | None = None


def asks_gateway(
    command: AuthorizePayment | VoidPayment, record: PaymentRecord | None
) -> TypeGuard[AuthorizePayment]:
    """Only a first authorization goes to the gateway: a repeat is answered from the record."""
    return isinstance(command, AuthorizePayment) and record is None


def _answer(
    record: PaymentRecord, cmd: AuthorizePayment, now: datetime
) -> PaymentAuthorized | PaymentRejected:
    if record.authorizationCode is not None:
        return PaymentAuthorized(
            orderId=cmd.orderId, userId=cmd.userId, amount=record.amount, processedAt=now,
            authorizationCode=record.authorizationCode,
        )  # fmt: skip
    return PaymentRejected(
        orderId=cmd.orderId, userId=cmd.userId, amount=record.amount, processedAt=now,
        rejectionReason=record.rejectionReason or "rejected",
    )  # fmt: skip


def decide(
    record: PaymentRecord | None,
    command: Parsed,
    *,
    outcome: Approved | Declined | None,
    now: datetime,
) -> tuple[PaymentRecord | None, list[Envelope]]:
    """One command on payments.commands. A void of a payment not rejected marks it voided and
    says so; an authorization is recorded from the gateway's ``outcome`` the first time and
    answered from the record every time."""
    body, cause = command.body, command.envelope
    if isinstance(body, VoidPayment):
        if record is None or record.status == "REJECTED":
            return record, []
        voided = PaymentVoided(
            orderId=body.orderId, userId=body.userId, amount=record.amount,
            authorizationCode=body.authorizationCode, voidedAt=now,
        )  # fmt: skip
        return record.model_copy(update={"status": "VOIDED"}), [
            caused_by(voided, cause=cause, step="voided")
        ]
    assert isinstance(body, AuthorizePayment)
    if record is None:
        assert outcome is not None, "a first authorization needs the gateway's outcome"
        approved = isinstance(outcome, Approved)
        record = PaymentRecord(
            orderId=body.orderId, amount=body.amount,
            status="AUTHORIZED" if approved else "REJECTED",
            authorizationCode=outcome.authorization_code if isinstance(outcome, Approved) else None,
            rejectionReason=outcome.reason if isinstance(outcome, Declined) else None,
        )  # fmt: skip
    return record, [caused_by(_answer(record, body, now), cause=cause, step="answer")]
