"""orders.events, keyed by orderId: every step of an order, from its creation to its end."""

from __future__ import annotations

from typing import ClassVar

from pydantic import BaseModel, ConfigDict, Field

from domain.messages.base import Message
from domain.types import Currency, Email, Id, Money, Name, Quantity, Sku, Tier, UtcDatetime


class OrderMessage(Message):
    stream: ClassVar[str] = "orders.events"
    key_field: ClassVar[str] = "orderId"
    orderId: Id
    userId: Id


class Customer(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)
    name: Name
    email: Email
    tier: Tier


class PricedItem(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)
    sku: Sku
    name: Name
    quantity: Quantity
    unitPrice: Money


class OrderCreated(OrderMessage):
    customer: Customer
    items: list[PricedItem] = Field(min_length=1, max_length=100)
    amount: Money
    currency: Currency
    createdAt: UtcDatetime


class OrderRejected(OrderMessage):
    reasons: list[str] = Field(min_length=1)
    rejectedAt: UtcDatetime | None = None


class StockReserved(OrderMessage):
    sku: Sku
    quantity: Quantity


class StockUnavailable(OrderMessage):
    sku: Sku
    requested: Quantity
    available: int = Field(ge=0)


class PaymentAuthorized(OrderMessage):
    amount: Money
    authorizationCode: str = Field(min_length=1, max_length=64)
    processedAt: UtcDatetime


class PaymentRejected(OrderMessage):
    amount: Money
    rejectionReason: str = Field(min_length=1, max_length=200)
    processedAt: UtcDatetime


class PaymentVoided(OrderMessage):
    """A late authorization was voided after the order had been cancelled."""

    amount: Money
    authorizationCode: str = Field(min_length=1, max_length=64)
    voidedAt: UtcDatetime


class OrderConfirmed(OrderMessage):
    amount: Money | None = None
    currency: Currency | None = None
    confirmedAt: UtcDatetime | None = None


class OrderCancelled(OrderMessage):
    amount: Money | None = None
    reason: str = Field(min_length=1, max_length=200)
    cancelledAt: UtcDatetime | None = None


class OrderCancellationRequested(OrderMessage):
    """The customer asked to cancel (from CancelOrder); the saga decides whether it still can."""

    reason: str = Field(min_length=1, max_length=200)


class OrderTimedOut(OrderMessage):
    """Written by the saga's deadline timer: the step begun at ``step`` got no answer in time."""

    step: str = Field(min_length=1, max_length=64)
    deadline: UtcDatetime
