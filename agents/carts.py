"""Carts: carts.events → carts table."""

from __future__ import annotations

from app.application import app
from app.runtime.intake import consume
from app.topics import carts_events_topic
from domain import carts as cart_rules
from domain.envelope import Parsed
from domain.messages import CartCleared, CartItemAdded, CartItemRemoved
from tables.carts import carts


async def apply_cart_event(parsed: Parsed) -> None:
    body = parsed.body
    assert isinstance(body, CartItemAdded | CartItemRemoved | CartCleared)
    carts.put(body.userId, cart_rules.evolve(carts.get(body.userId), parsed))


@app.agent(carts_events_topic, name="maintain-carts")
async def maintain_carts(stream):  # type: ignore[no-untyped-def]
    """Reads ``carts.events``; changes ``carts``; sends nothing."""
    async for outcome in consume(stream, carts_events_topic, apply_cart_event):
        yield outcome
