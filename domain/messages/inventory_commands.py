"""inventory.commands, keyed by sku: stock for orders, and restocks."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from domain.messages.base import Message
from domain.types import Id, Money, Name, Quantity, Sku


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


InventoryCommand = (
    ReserveStock | ReleaseStock | CommitStock | RestockItem
)  # all of inventory.commands
