"""Order tracking: orders.events → order-status table, once per eventId; bad records → DLQ."""

from __future__ import annotations

from app.application import app
from app.observability import metrics
from app.runtime.intake import consume
from app.topics import orders_events_topic
from domain.envelope import Parsed
from domain.messages import OrderMessage
from domain.order_status import evolve, finished
from tables.order_status import order_statuses


async def track(parsed: Parsed) -> None:
    body = parsed.body
    assert isinstance(body, OrderMessage)  # every orders.events type is one
    before = order_statuses.get(body.orderId)
    after = evolve(before, parsed)
    order_statuses.put(body.orderId, after)
    if outcome := finished(before, after):
        metrics.orders_finished.labels(outcome).inc()


@app.agent(orders_events_topic, name="track-orders")
async def track_orders(stream):  # type: ignore[no-untyped-def]
    """Owns ``orders.events``: audits every record, sends invalid ones to ``orders.dlq``, repairs
    misplaced ones, and folds each valid event into the ``order-status`` table."""
    async for outcome in consume(stream, orders_events_topic, track):
        yield outcome
