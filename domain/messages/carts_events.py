"""carts.events, keyed by userId: items added and removed, carts cleared by a checkout."""

from __future__ import annotations

from typing import ClassVar

from domain.messages.base import Message
from domain.messages.orders_commands import LineItem
from domain.types import Id, Quantity, Sku


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
