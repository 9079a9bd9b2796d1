"""Inventory: inventory.commands (keyed by sku) → stock-levels; answers on orders.events."""

from __future__ import annotations

import faust

from app.application import app
from app.runtime.intake import consume, emit
from app.topics import inventory_commands_topic
from domain import inventory
from domain.envelope import Parsed
from domain.messages import InventoryCommand, RestockItem
from tables.inventory import Settlement, stock_levels, stock_settlements


async def apply_stock_command(parsed: Parsed) -> None:
    body, cause = parsed.body, parsed.envelope
    assert isinstance(body, InventoryCommand)
    event = faust.current_event()
    assert event is not None
    at = event.message.offset  # redelivered commands are at or below the sku's position
    level = stock_levels.get(body.sku)
    key = (
        None if isinstance(body, RestockItem) else inventory.settlement_key(body.sku, body.orderId)
    )
    entry = stock_settlements.get(key) if key else None
    done = inventory.apply(
        level, body, str(cause.eventId), at=at, ledger=entry.outcome if entry else None
    )
    if done.answer is not None:
        step = "catalog" if isinstance(body, RestockItem) else "answer"
        await emit(done.answer, cause=cause, step=step)
    # the first ending is kept; written again on a redelivery if a crash lost it
    if key is not None and done.settled is not None and entry is None:
        stock_settlements.put(key, Settlement(outcome=done.settled))
    if done.level is not None and done.level != level:
        stock_levels.put(body.sku, done.level)


@app.agent(inventory_commands_topic, name="manage-inventory")
async def manage_inventory(stream):  # type: ignore[no-untyped-def]
    """Reads ``inventory.commands``; changes ``stock-levels`` and ``stock-settlements``; sends
    StockReserved / StockUnavailable to ``orders.events`` and catalog entries to
    ``inventory.catalog``."""
    async for outcome in consume(stream, inventory_commands_topic, apply_stock_command):
        yield outcome
