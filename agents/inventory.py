"""Inventory: inventory.commands (keyed by sku) → stock-levels; answers on orders.events."""

from __future__ import annotations

from agents.intake import emit, handle
from app.faust_app import app
from app.topics import inventory_commands_topic
from domain import inventory
from domain.envelope import Parsed
from domain.messages import CommitStock, ReleaseStock, ReserveStock, RestockItem
from tables.inventory import stock_levels


async def apply_stock_command(parsed: Parsed) -> None:
    body, cause = parsed.body, parsed.envelope
    assert isinstance(body, ReserveStock | ReleaseStock | CommitStock | RestockItem)
    level = stock_levels.get(body.sku)
    if isinstance(body, RestockItem):
        new, entry = inventory.restock(level, body, str(cause.eventId))
        if entry is not None:
            await emit(entry, cause=cause, step="catalog")
    elif isinstance(body, ReserveStock):
        new, answer = inventory.reserve(level, body)
        if answer is not None:
            await emit(answer, cause=cause, step="answer")
    elif isinstance(body, ReleaseStock):
        new = inventory.release(level, body)
    else:
        new = inventory.commit(level, body)
    if new is not None and new != level:
        stock_levels.put(body.sku, new)


@app.agent(inventory_commands_topic, name="manage-inventory")
async def manage_inventory(stream):  # type: ignore[no-untyped-def]
    """Reads ``inventory.commands``; changes ``stock-levels``; sends StockReserved /
    StockUnavailable to ``orders.events`` and catalog entries to ``inventory.catalog``."""
    async for event in stream.events():
        yield await handle(event, inventory_commands_topic, apply_stock_command)
