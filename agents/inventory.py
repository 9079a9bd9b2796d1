"""Inventory: inventory.commands (keyed by sku) → stock-levels; answers on orders.events."""

from __future__ import annotations

import faust

from agents.intake import consume, emit
from app.faust_app import app
from app.topics import inventory_commands_topic
from domain import inventory
from domain.envelope import Parsed
from domain.messages import CommitStock, ReleaseStock, ReserveStock, RestockItem, StockUnavailable
from tables.inventory import Settlement, stock_levels, stock_settlements


async def apply_stock_command(parsed: Parsed) -> None:
    body, cause = parsed.body, parsed.envelope
    assert isinstance(body, ReserveStock | ReleaseStock | CommitStock | RestockItem)
    event = faust.current_event()
    assert event is not None
    at = event.message.offset  # redelivered commands are at or below the sku's position
    level = stock_levels.get(body.sku)
    if isinstance(body, RestockItem):
        new, entry = inventory.restock(level, body, str(cause.eventId), at=at)
        if entry is not None:
            await emit(entry, cause=cause, step="catalog")
    else:  # the ledger says how this order's request for the sku ended, if it did
        key = inventory.settlement_key(body.sku, body.orderId)
        entry = stock_settlements.get(key)
        ledger = entry.outcome if entry else None
        outcome: inventory.Outcome | None
        if isinstance(body, ReserveStock):
            new, answer = inventory.reserve(level, body, at=at, ledger=ledger)
            outcome = "unavailable" if isinstance(answer, StockUnavailable) else None
            if answer is not None:
                await emit(answer, cause=cause, step="answer")
        elif isinstance(body, ReleaseStock):
            new, outcome = inventory.release(level, body, at=at), "released"
        else:
            new, outcome = inventory.commit(level, body, at=at), "committed"
        # the first ending is kept; written again on a redelivery if a crash lost it
        if outcome is not None and entry is None:
            stock_settlements.put(key, Settlement(outcome=outcome))
    if new is not None and new != level:
        stock_levels.put(body.sku, new)


@app.agent(inventory_commands_topic, name="manage-inventory")
async def manage_inventory(stream):  # type: ignore[no-untyped-def]
    """Reads ``inventory.commands``; changes ``stock-levels`` and ``stock-settlements``; sends
    StockReserved / StockUnavailable to ``orders.events`` and catalog entries to
    ``inventory.catalog``."""
    async for outcome in consume(stream, inventory_commands_topic, apply_stock_command):
        yield outcome
