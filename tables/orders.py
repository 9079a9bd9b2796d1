"""Order statuses by orderId: RocksDB table, changelog keyed by the plain UTF-8 orderId."""

from __future__ import annotations

from app.faust_app import app, settings
from domain.orders import OrderStatus

# key_type=bytes makes Faust's key codec "raw": the changelog key and table_route's hash are the
# same bytes producers use, not the JSON string '"o-1"' (the cause of faust-streaming #514).
order_status_table = app.Table(
    "order-status",
    key_type=bytes,
    value_type=bytes,
    partitions=settings.topic_partitions,
    help="OrderStatus JSON by orderId",
)


def load_status(order_id: str) -> OrderStatus | None:
    raw = order_status_table.get(order_id.encode())
    return None if raw is None else OrderStatus.model_validate_json(raw)


def save_status(status: OrderStatus) -> None:
    order_status_table[status.orderId.encode()] = status.model_dump_json().encode()
