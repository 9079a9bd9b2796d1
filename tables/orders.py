"""The decision taken on each PlaceOrder, by orderId (to repeat it alike)."""

from __future__ import annotations

from pydantic import BaseModel

from domain.envelope import Envelope
from tables.store import JsonTable


class Decision(BaseModel):
    """The envelopes the order handler sent for one orderId, re-sent as they were on a repeat."""

    envelopes: list[Envelope]


order_decisions = JsonTable(
    "order-decisions", Decision, "envelopes sent per PlaceOrder, by orderId"
)
