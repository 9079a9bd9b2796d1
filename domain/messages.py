"""The `data` of every message on every topic: one pydantic model each, the only schema."""

from __future__ import annotations

from decimal import Decimal
from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

from domain.types import Currency, Id, Money, Quantity, Sku, UtcDatetime

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


class PlaceOrder(Message):
    """Validated structurally at the edge; the business rules live in ``domain.ordering``, which
    rejects with every reason (so ``items`` may be empty here and rejected there)."""

    stream: ClassVar[str] = "orders.commands"
    key_field: ClassVar[str] = "userId"
    orderId: Id
    userId: Id
    items: list[LineItem] = Field(max_length=1000)
    currency: str = Field(min_length=1, max_length=8)
    fromCart: bool = False


class CancelOrder(Message):
    stream: ClassVar[str] = "orders.commands"
    key_field: ClassVar[str] = "userId"
    orderId: Id
    userId: Id
    reason: str = Field(min_length=1, max_length=200)


# orders.events (keyed by orderId)
class Customer(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)
    name: str = Field(min_length=1, max_length=200)
    email: str = Field(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$", max_length=254)
    tier: Tier


class PricedItem(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)
    sku: Sku
    name: str = Field(min_length=1, max_length=200)
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


class OrderConfirmed(OrderMessage):
    amount: Money | None = None
    currency: Currency | None = None
    confirmedAt: UtcDatetime | None = None


class OrderCancelled(OrderMessage):
    amount: Money | None = None
    reason: str = Field(min_length=1, max_length=200)
    cancelledAt: UtcDatetime | None = None


class OrderTimedOut(OrderMessage):
    """Written by the saga's deadline timer: the step begun at ``step`` got no answer in time."""

    step: str = Field(min_length=1, max_length=64)
    deadline: UtcDatetime


# inventory.commands (keyed by sku)
class StockCommand(Message):
    stream: ClassVar[str] = "inventory.commands"
    key_field: ClassVar[str] = "sku"
    orderId: Id
    userId: Id
    sku: Sku
    quantity: Quantity


class ReserveStock(StockCommand):
    pass


class ReleaseStock(StockCommand):
    pass


class CommitStock(StockCommand):
    """The reservation of a confirmed order becomes a sale: reserved goes down, nothing returns."""


class RestockItem(Message):
    """Adds stock and sets the catalog entry (name, price) of a sku."""

    stream: ClassVar[str] = "inventory.commands"
    key_field: ClassVar[str] = "sku"
    sku: Sku
    quantity: int = Field(ge=0, le=1_000_000, strict=True)
    name: str = Field(min_length=1, max_length=200)
    unitPrice: Money


# inventory.catalog (keyed by sku, compacted): what every order handler prices from
class CatalogItem(Message):
    stream: ClassVar[str] = "inventory.catalog"
    key_field: ClassVar[str] = "sku"
    sku: Sku
    name: str = Field(min_length=1, max_length=200)
    unitPrice: Money


# payments.commands (keyed by orderId)
class AuthorizePayment(Message):
    stream: ClassVar[str] = "payments.commands"
    key_field: ClassVar[str] = "orderId"
    orderId: Id
    userId: Id
    amount: Money
    currency: Currency
    tier: Tier


class VoidPayment(Message):
    stream: ClassVar[str] = "payments.commands"
    key_field: ClassVar[str] = "orderId"
    orderId: Id
    userId: Id
    amount: Money
    authorizationCode: str = Field(min_length=1, max_length=64)


# users.events (keyed by userId)
class UserRegistered(Message):
    stream: ClassVar[str] = "users.events"
    key_field: ClassVar[str] = "userId"
    userId: Id
    name: str = Field(min_length=1, max_length=200)
    email: str = Field(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$", max_length=254)
    tier: Tier = "standard"


class UserUpdated(Message):
    stream: ClassVar[str] = "users.events"
    key_field: ClassVar[str] = "userId"
    userId: Id
    name: str | None = Field(None, min_length=1, max_length=200)
    email: str | None = Field(None, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$", max_length=254)
    tier: Tier | None = None
    active: bool | None = None


# carts.events (keyed by userId)
class CartItemAdded(Message):
    stream: ClassVar[str] = "carts.events"
    key_field: ClassVar[str] = "userId"
    userId: Id
    sku: Sku
    quantity: Quantity


class CartItemRemoved(Message):
    stream: ClassVar[str] = "carts.events"
    key_field: ClassVar[str] = "userId"
    userId: Id
    sku: Sku


class CartCleared(Message):
    stream: ClassVar[str] = "carts.events"
    key_field: ClassVar[str] = "userId"
    userId: Id
    orderId: Id | None = None  # set when a checkout's order was created


# orders.aggregates (keyed by userId, compacted)
class UserTotals(Message):
    stream: ClassVar[str] = "orders.aggregates"
    key_field: ClassVar[str] = "userId"
    userId: Id
    ordersPlaced: int = Field(0, ge=0)
    ordersConfirmed: int = Field(0, ge=0)
    ordersCancelled: int = Field(0, ge=0)
    ordersRejected: int = Field(0, ge=0)
    amountConfirmed: Money = Decimal("0")
    averageBasket: Money = Decimal("0")
    lastOrderAt: UtcDatetime | None = None
    cancellationReasons: dict[str, int] = Field(default_factory=dict)


MESSAGE_TYPES: dict[str, type[Message]] = {
    cls.__name__: cls
    for cls in (
        PlaceOrder, CancelOrder,
        OrderCreated, OrderRejected, StockReserved, StockUnavailable,
        PaymentAuthorized, PaymentRejected, OrderConfirmed, OrderCancelled, OrderTimedOut,
        ReserveStock, ReleaseStock, CommitStock, RestockItem, CatalogItem,
        AuthorizePayment, VoidPayment,
        UserRegistered, UserUpdated, CartItemAdded, CartItemRemoved, CartCleared,
        UserTotals,
    )
}  # fmt: skip


def types_on(stream: str) -> dict[str, type[Message]]:
    """The message types one logical topic carries."""
    return {name: cls for name, cls in MESSAGE_TYPES.items() if cls.stream == stream}
