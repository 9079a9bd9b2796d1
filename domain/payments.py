"""Payment rules of the simulated gateway: deterministic, documented, testable without a gateway."""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict

from domain.messages import AuthorizePayment

TIER_LIMITS = {"standard": Decimal("1000.00"), "gold": Decimal("5000.00")}
OUTAGE_CURRENCY = "XTS"  # ISO 4217 "reserved for testing": the gateway is down for it


@dataclass(frozen=True)
class Approved:
    authorization_code: str


@dataclass(frozen=True)
class Declined:
    reason: str


def decide(cmd: AuthorizePayment, *, seed: int, decline_rate: float) -> Approved | Declined:
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
