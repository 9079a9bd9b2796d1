"""Order tracking: orders.events → order-status table, once per eventId; bad records → DLQ."""

from __future__ import annotations

import logging

from agents.intake import accept, dead_letter_it, forward_if_misplaced, received, reject
from app.faust_app import app
from app.topics import orders_events_topic
from domain.envelope import Invalid, parse
from domain.intake import Received
from domain.messages import OrderMessage
from domain.orders import evolve
from tables.orders import load_status, save_status

log = logging.getLogger(__name__)


async def track(rec: Received) -> str:
    """One record: validate, repair its partition if needed, fold it; returns what happened."""
    result = parse(rec.value, "orders.events")
    if isinstance(result, Invalid):
        await reject(rec, result)
        return "dead-lettered"
    body = result.body
    assert isinstance(body, OrderMessage)  # every orders.events type is one
    if await forward_if_misplaced(orders_events_topic, rec, result, body.orderId):
        return "forwarded"
    try:
        save_status(evolve(load_status(body.orderId), result.envelope, body))
    except Exception as exc:  # Faust would ack and skip it: keep it instead
        log.exception("tracking failed for %s", body.orderId)
        await dead_letter_it(rec, "processing", f"{type(exc).__name__}: {exc}", result)
        return "dead-lettered"
    accept(rec, result)
    return "applied"


@app.agent(orders_events_topic, name="track-orders")
async def track_orders(stream):  # type: ignore[no-untyped-def]
    """Reads raw ``orders.events``; folds each valid event into ``order_status_table``; sends
    invalid records to ``orders.dlq``; writes one audit line for every record."""
    async for event in stream.events():
        yield await track(received(event))
