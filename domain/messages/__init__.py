"""The ``data`` of every message, one module per topic: one pydantic model each, the only schema."""

from domain.messages.base import Message
from domain.messages.carts_events import CartCleared, CartItemAdded, CartItemRemoved
from domain.messages.inventory_catalog import CatalogItem
from domain.messages.inventory_commands import (
    CommitStock,
    InventoryCommand,
    ReleaseStock,
    ReserveStock,
    RestockItem,
    StockCommand,
)
from domain.messages.orders_aggregates import UserTotals
from domain.messages.orders_commands import CancelOrder, LineItem, PlaceOrder
from domain.messages.orders_events import (
    Customer,
    OrderCancellationRequested,
    OrderCancelled,
    OrderConfirmed,
    OrderCreated,
    OrderMessage,
    OrderRejected,
    OrderTimedOut,
    PaymentAuthorized,
    PaymentRejected,
    PaymentVoided,
    PricedItem,
    StockReserved,
    StockUnavailable,
)
from domain.messages.payments_commands import AuthorizePayment, VoidPayment
from domain.messages.users_events import UserRegistered, UserUpdated
from domain.types import Tier

__all__ = [
    "MESSAGE_TYPES", "AuthorizePayment", "CancelOrder", "CartCleared", "CartItemAdded",
    "CartItemRemoved", "CatalogItem", "CommitStock", "Customer", "InventoryCommand", "LineItem",
    "Message",
    "OrderCancellationRequested", "OrderCancelled", "OrderConfirmed", "OrderCreated",
    "OrderMessage", "OrderRejected", "OrderTimedOut", "PaymentAuthorized", "PaymentRejected",
    "PaymentVoided",
    "PlaceOrder", "PricedItem", "ReleaseStock", "ReserveStock", "RestockItem", "StockCommand",
    "StockReserved", "StockUnavailable", "Tier", "UserRegistered", "UserTotals", "UserUpdated",
    "VoidPayment", "types_on",
]  # fmt: skip

MESSAGE_TYPES: dict[str, type[Message]] = {
    cls.__name__: cls
    for cls in (
        PlaceOrder, CancelOrder,
        OrderCreated, OrderRejected, StockReserved, StockUnavailable,
        PaymentAuthorized, PaymentRejected, PaymentVoided,
        OrderConfirmed, OrderCancelled, OrderTimedOut,
        OrderCancellationRequested,
        ReserveStock, ReleaseStock, CommitStock, RestockItem, CatalogItem,
        AuthorizePayment, VoidPayment,
        UserRegistered, UserUpdated, CartItemAdded, CartItemRemoved, CartCleared,
        UserTotals,
    )
}  # fmt: skip


def types_on(stream: str) -> dict[str, type[Message]]:
    """The message types one logical topic carries."""
    return {name: cls for name, cls in MESSAGE_TYPES.items() if cls.stream == stream}
