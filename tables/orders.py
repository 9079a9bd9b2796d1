"""Order statuses by orderId, and the decision taken on each PlaceOrder (to repeat it alike)."""

from __future__ import annotations

from pydantic import BaseModel

from app.settings import settings
from domain.envelope import Envelope
from domain.order_status import OrderStatus
from tables.store import JsonTable
from views.http.waiters import Waiters


class Decision(BaseModel):
    """The envelopes the order handler sent for one orderId, re-sent as they were on a repeat."""

    envelopes: list[Envelope]


order_statuses = JsonTable("order-status", OrderStatus, "OrderStatus by orderId")
status_waiters = Waiters(settings.longpoll_limit)  # GET …/status?wait= readers on this worker
order_decisions = JsonTable(
    "order-decisions", Decision, "envelopes sent per PlaceOrder, by orderId"
)
