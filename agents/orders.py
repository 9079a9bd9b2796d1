"""The order handler: orders.commands → OrderCreated / OrderRejected on orders.events."""

from __future__ import annotations

from app.adapters.catalog import catalog
from app.adapters.catalog import caught_up as catalog_caught_up
from app.application import app
from app.runtime.intake import consume, emit, outgoing, send_envelope
from app.topics import orders_commands_topic
from domain.envelope import Parsed
from domain.messages import (
    CancelOrder,
    CartCleared,
    OrderCancellationRequested,
    OrderCreated,
    PlaceOrder,
)
from domain.orders import place_order
from domain.types import now_utc
from tables.orders import Decision, order_decisions
from tables.users import user_profiles


async def decide_order(parsed: Parsed) -> None:
    body = parsed.body
    if isinstance(body, CancelOrder):
        request = OrderCancellationRequested(
            orderId=body.orderId, userId=body.userId, reason=body.reason
        )
        await emit(request, cause=parsed.envelope, step="cancel-request")
        return
    assert isinstance(body, PlaceOrder)
    await catalog_caught_up.wait()  # at start, price nothing before the catalog is loaded
    decision = order_decisions.get(body.orderId)
    if decision is None:  # first time: decide; a repeat re-sends the same envelopes
        verdict = place_order(body, user_profiles.get(body.userId), catalog, now_utc())
        out = [outgoing(verdict, cause=parsed.envelope, step="decide")]
        if body.fromCart and isinstance(verdict, OrderCreated):
            cleared = CartCleared(userId=body.userId, orderId=body.orderId, items=body.items)
            out.append(outgoing(cleared, cause=parsed.envelope, step="clear-cart"))
        decision = Decision(envelopes=out)
        order_decisions.put(body.orderId, decision)
    for env in decision.envelopes:
        await send_envelope(env)


@app.agent(orders_commands_topic, name="handle-orders")
async def handle_orders(stream):  # type: ignore[no-untyped-def]
    """Reads ``orders.commands`` (keyed by userId, so the customer's profile is local); changes
    ``order-decisions``; sends OrderCreated / OrderRejected (and CartCleared after a checkout)."""
    async for outcome in consume(stream, orders_commands_topic, decide_order):
        yield outcome
