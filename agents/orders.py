"""The order handler: orders.commands → OrderCreated / OrderRejected on orders.events."""

from __future__ import annotations

from app.adapters.catalog import catalog
from app.adapters.catalog import caught_up as catalog_caught_up
from app.application import app
from app.runtime.intake import consume, send_envelope
from app.runtime.senders import sends
from app.topics import orders_commands_topic
from domain import orders
from domain.envelope import Parsed
from domain.messages import (
    CancelOrder,
    CartCleared,
    OrderCancellationRequested,
    OrderCreated,
    OrderRejected,
    PlaceOrder,
)
from domain.types import now_utc
from tables.orders import order_decisions
from tables.users import user_profiles


async def decide_order(parsed: Parsed) -> None:
    body = parsed.body
    assert isinstance(body, PlaceOrder | CancelOrder)
    if isinstance(body, PlaceOrder):
        await catalog_caught_up.wait()  # at start, price nothing before the catalog is loaded
    before = order_decisions.get(body.orderId)
    customer = user_profiles.get(body.userId)
    after, out = orders.decide(before, parsed, customer=customer, catalog=catalog, now=now_utc())
    if after is not None and after != before:
        order_decisions.put(body.orderId, after)
    for env in out:
        await send_envelope(env)


@app.agent(orders_commands_topic, name="handle-orders")
@sends(OrderCreated, OrderRejected, OrderCancellationRequested, CartCleared)
async def handle_orders(stream):  # type: ignore[no-untyped-def]
    """Reads ``orders.commands`` (keyed by userId, so the customer's profile is local); changes
    ``order-decisions``; sends OrderCreated / OrderRejected (and CartCleared after a checkout)."""
    async for outcome in consume(stream, orders_commands_topic, decide_order):
        yield outcome
