"""Messages of the other slices: inventory, catalog, payments, users, carts, aggregates."""

from __future__ import annotations

from decimal import Decimal
from typing import ClassVar

from pydantic import Field

from domain.messages.orders import LineItem, Message, Tier
from domain.types import Currency, Email, Id, Money, Name, Quantity, Sku, UtcDatetime

# One base per topic: the topic and its key are said once, the fields every message there shares
# come first (so field order on the wire is what it was).


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
    name: Name
    unitPrice: Money


# inventory.catalog (keyed by sku, compacted): what every order handler prices from
class CatalogItem(Message):
    stream: ClassVar[str] = "inventory.catalog"
    key_field: ClassVar[str] = "sku"
    sku: Sku
    name: Name
    unitPrice: Money


# payments.commands (keyed by orderId)
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


# users.events (keyed by userId)
class UserEvent(Message):
    stream: ClassVar[str] = "users.events"
    key_field: ClassVar[str] = "userId"
    userId: Id


class UserRegistered(UserEvent):
    name: Name
    email: Email
    tier: Tier = "standard"


class UserUpdated(UserEvent):
    name: Name | None = None
    email: Email | None = None
    tier: Tier | None = None
    active: bool | None = None


# carts.events (keyed by userId)
class CartEvent(Message):
    stream: ClassVar[str] = "carts.events"
    key_field: ClassVar[str] = "userId"
    userId: Id


class CartItemAdded(CartEvent):
    sku: Sku
    quantity: Quantity


class CartItemRemoved(CartEvent):
    sku: Sku


class CartCleared(CartEvent):
    orderId: Id | None = None  # set when a checkout's order was created
    items: list[LineItem] | None = None  # then only these lines leave the cart


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
