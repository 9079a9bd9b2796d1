"""The ``data`` of every message on every topic: one pydantic model each, the only schema."""

from domain.messages.orders import (
    CancelOrder,
    Customer,
    LineItem,
    Message,
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
    PlaceOrder,
    PricedItem,
    StockReserved,
    StockUnavailable,
    Tier,
)
from domain.messages.slices import (
    AuthorizePayment,
    CartCleared,
    CartItemAdded,
    CartItemRemoved,
    CatalogItem,
    CommitStock,
    ReleaseStock,
    ReserveStock,
    RestockItem,
    StockCommand,
    UserRegistered,
    UserTotals,
    UserUpdated,
    VoidPayment,
)

__all__ = [
    "MESSAGE_TYPES", "AuthorizePayment", "CancelOrder", "CartCleared", "CartItemAdded",
    "CartItemRemoved", "CatalogItem", "CommitStock", "Customer", "LineItem", "Message",
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
