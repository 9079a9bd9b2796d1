"""orders.aggregates, keyed by userId and compacted: each user's totals, as snapshots."""

from __future__ import annotations

from decimal import Decimal
from typing import ClassVar

from pydantic import Field

from domain.messages.base import Message
from domain.types import Id, Money, UtcDatetime


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
