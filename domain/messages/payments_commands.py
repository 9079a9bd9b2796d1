"""payments.commands, keyed by orderId: what the payments slice asks of the gateway."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from domain.messages.base import Message
from domain.types import Currency, Id, Money, Tier


class PaymentCommand(Message):
    stream: ClassVar[str] = "payments.commands"
    key_field: ClassVar[str] = "orderId"
    orderId: Id
    userId: Id
    amount: Money


class AuthorizePayment(PaymentCommand):
    currency: Currency
    tier: Tier


class VoidPayment(PaymentCommand):
    authorizationCode: str = Field(min_length=1, max_length=64)
