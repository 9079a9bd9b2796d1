"""orders.commands, keyed by userId: what the order handler reads."""

from __future__ import annotations

from typing import ClassVar

from pydantic import BaseModel, ConfigDict, Field

from domain.messages.base import Message
from domain.types import Id, Sku


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
