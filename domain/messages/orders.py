"""The base of every message body, and the messages on orders.commands and orders.events."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

from domain.types import Currency, Email, Id, Money, Name, Quantity, Sku, UtcDatetime

Tier = Literal["standard", "gold"]


class Message(BaseModel):
    """Base of every message body; unknown fields are ignored so any 1.x writer is readable."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    stream: ClassVar[str]  # logical topic name, as in DESIGN.md
    key_field: ClassVar[str]  # the field whose value is the Kafka key


class OrderMessage(Message):
    stream: ClassVar[str] = "orders.events"
    key_field: ClassVar[str] = "orderId"
    orderId: Id
    userId: Id


# orders.commands (keyed by userId)
class LineItem(BaseModel):
    """A requested line; its quantity is checked by the order rules, which reject with a reason."""

    model_config = ConfigDict(extra="ignore", frozen=True)
    sku: Sku
    quantity: int = Field(strict=True, ge=-1_000_000_000, le=1_000_000_000)


class OrderCommand(Message):
    """What the order handler reads: keyed by userId, so the customer's profile and cart are
    local."""

    stream: ClassVar[str] = "orders.commands"
    key_field: ClassVar[str] = "userId"
    orderId: Id
    userId: Id


class PlaceOrder(OrderCommand):
    """Validated structurally at the edge; the business rules live in ``domain.orders``, which
    rejects with every reason (so ``items`` may be empty here and rejected there)."""

    items: list[LineItem] = Field(max_length=1000)
    currency: str = Field(min_length=1, max_length=8)
    fromCart: bool = False


class CancelOrder(OrderCommand):
    reason: str = Field(min_length=1, max_length=200)


# orders.events (keyed by orderId)
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
