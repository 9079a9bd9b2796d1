"""The decision taken on each PlaceOrder, by orderId (to repeat it alike)."""

from __future__ import annotations

from domain.orders import Decision
from tables.store import JsonTable

order_decisions = JsonTable(
    "order-decisions", Decision, "envelopes sent per PlaceOrder, by orderId"
)
