"""Order statuses by orderId (what ``GET /orders/{id}/status`` and the long-polls read)."""

from domain.order_status import OrderStatus
from tables.store import JsonTable

order_statuses = JsonTable("order-status", OrderStatus, "OrderStatus by orderId")
