"""Inventory: inventory.commands (keyed by sku) → stock-levels; answers on orders.events."""

from __future__ import annotations

import faust

from app.application import app
from app.runtime.intake import consume, send_envelope
from app.runtime.senders import sends
from app.topics import inventory_commands_topic
from domain import inventory
from domain.envelope import Parsed
from domain.messages import CatalogItem, InventoryCommand, StockReserved, StockUnavailable
from tables.inventory import Settlement, stock_levels, stock_settlements


async def apply_stock_command(parsed: Parsed) -> None:
    body = parsed.body
    assert isinstance(body, InventoryCommand)
    event = faust.current_event()
    assert event is not None
    key = inventory.settlement_key(body)
    entry = stock_settlements.get(key) if key else None
    before = inventory.Books(stock_levels.get(body.sku), entry.outcome if entry else None)
    # redelivered commands are at or below the sku's position
    after, out = inventory.decide(before, parsed, at=event.message.offset)
    for env in out:
        await send_envelope(env)
    # the first ending is kept; written again on a redelivery if a crash lost it
    if key is not None and after.settled is not None and after.settled != before.settled:
        stock_settlements.put(key, Settlement(outcome=after.settled))
    if after.level is not None and after.level != before.level:
        stock_levels.put(body.sku, after.level)


@app.agent(inventory_commands_topic, name="manage-inventory")
@sends(StockReserved, StockUnavailable, CatalogItem)
async def manage_inventory(stream):  # type: ignore[no-untyped-def]
    """Reads ``inventory.commands``; changes ``stock-levels`` and ``stock-settlements``; sends
    StockReserved / StockUnavailable to ``orders.events`` and catalog entries to
    ``inventory.catalog``."""
    async for outcome in consume(stream, inventory_commands_topic, apply_stock_command):
        yield outcome
