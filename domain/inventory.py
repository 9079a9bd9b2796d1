"""Stock per sku: reserve, release and commit exactly once per (orderId, sku); restock."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from domain.messages import (
    CatalogItem,
    CommitStock,
    InventoryCommand,
    ReleaseStock,
    ReserveStock,
    RestockItem,
    StockReserved,
    StockUnavailable,
)

# Restock event ids a sku remembers (a retried POST .../restock repeats its event id); restocks
# are rare, so this stays small.
RESTOCKS_REMEMBERED = 1000


class StockLevel(BaseModel):
    """One sku's books. ``position`` is the offset (in the sku's partition of inventory.commands)
    of the last command applied: a redelivered command is at or below it and changes nothing.
    The value stays small whatever the traffic: only open reservations are listed; settled
    orders are remembered in a separate ledger (see ``reserve``)."""

    model_config = ConfigDict(frozen=True)

    sku: str
    name: str = ""
    unitPrice: Decimal = Decimal("0")
    available: int = 0
    reserved: int = 0
    sold: int = 0
    reservations: dict[str, int] = Field(default_factory=dict)  # orderId -> quantity held
    restocks: list[str] = Field(default_factory=list)  # restock event ids applied
    position: int = -1

    def public(self) -> dict[str, object]:
        shown = self.model_dump(include={"sku", "name", "available", "reserved", "sold"})
        return {**shown, "unitPrice": float(self.unitPrice)}


def _seen(stock: StockLevel | None, at: int) -> bool:
    return stock is not None and at <= stock.position


def _settle(stock: StockLevel, order_id: str, at: int, **changes: int) -> StockLevel:
    reservations = {o: q for o, q in stock.reservations.items() if o != order_id}
    return stock.model_copy(update={**changes, "reservations": reservations, "position": at})


Outcome = Literal["unavailable", "released", "committed"]


def reserve(
    stock: StockLevel | None, cmd: ReserveStock, *, at: int, ledger: Outcome | None = None
) -> tuple[StockLevel | None, StockReserved | StockUnavailable | None]:
    """Hold stock for an order. A repeat gets the same answer, whatever arrived since: a held
    order StockReserved, a refused one (the ``ledger`` says ``unavailable``, or a redelivered
    command at or below ``position``) StockUnavailable; an order already released or committed
    gets nothing. Only a first request can take stock."""
    ids = {"orderId": cmd.orderId, "userId": cmd.userId, "sku": cmd.sku}
    if stock is not None and cmd.orderId in stock.reservations:
        return stock, StockReserved(**ids, quantity=stock.reservations[cmd.orderId])
    if ledger in ("released", "committed"):
        return stock, None
    available = stock.available if stock else 0
    refused = ledger == "unavailable" or _seen(stock, at)
    if stock is None or refused or available < cmd.quantity:
        return stock, StockUnavailable(**ids, requested=cmd.quantity, available=available)
    held = {**stock.reservations, cmd.orderId: cmd.quantity}
    return stock.model_copy(
        update={"available": available - cmd.quantity, "reserved": stock.reserved + cmd.quantity,
                "reservations": held, "position": at}
    ), StockReserved(**ids, quantity=cmd.quantity)  # fmt: skip


def release(stock: StockLevel | None, cmd: ReleaseStock, *, at: int) -> StockLevel | None:
    """Give back what the order holds (nothing if it holds nothing)."""
    if stock is None or _seen(stock, at) or cmd.orderId not in stock.reservations:
        return stock
    held = stock.reservations[cmd.orderId]
    return _settle(
        stock, cmd.orderId, at, available=stock.available + held, reserved=stock.reserved - held
    )


def commit(stock: StockLevel | None, cmd: CommitStock, *, at: int) -> StockLevel | None:
    """A confirmed order's reservation becomes a sale."""
    if stock is None or _seen(stock, at) or cmd.orderId not in stock.reservations:
        return stock
    held = stock.reservations[cmd.orderId]
    return _settle(stock, cmd.orderId, at, reserved=stock.reserved - held, sold=stock.sold + held)


def settlement_key(sku: str, order_id: str) -> str:
    """The ledger key of an order's settlement of one sku (kept in the sku's partition)."""
    return f"{sku}/{order_id}"


def restock(
    stock: StockLevel | None, cmd: RestockItem, event_id: str, *, at: int
) -> tuple[StockLevel, CatalogItem | None]:
    """Add stock and set name and price; returns the catalog entry when it changed."""
    current = stock or StockLevel(sku=cmd.sku)
    if _seen(stock, at) or event_id in current.restocks:
        return current, None
    restocks = [*current.restocks, event_id][-RESTOCKS_REMEMBERED:]
    updated = current.model_copy(
        update={"available": current.available + cmd.quantity, "name": cmd.name,
                "unitPrice": cmd.unitPrice, "restocks": restocks, "position": at}
    )  # fmt: skip
    changed = (current.name, current.unitPrice) != (cmd.name, cmd.unitPrice)
    entry = CatalogItem(sku=cmd.sku, name=cmd.name, unitPrice=cmd.unitPrice)
    return updated, entry if changed else None


@dataclass(frozen=True, slots=True)
class Applied:
    """What one stock command does: the sku's new level, the answer to send (StockReserved /
    StockUnavailable, or the CatalogItem of a restock), and how the order's request for the sku
    ended (for the ledger: the first ending is kept)."""

    level: StockLevel | None
    answer: StockReserved | StockUnavailable | CatalogItem | None = None
    settled: Outcome | None = None


def apply(
    stock: StockLevel | None,
    cmd: InventoryCommand,
    event_id: str,
    *,
    at: int,
    ledger: Outcome | None,
) -> Applied:
    """One command on inventory.commands, at offset ``at`` of the sku's partition, with what the
    ledger says of this (sku, order): the agent and ``faust -A app replay`` both call this."""
    if isinstance(cmd, RestockItem):
        restocked, entry = restock(stock, cmd, event_id, at=at)
        return Applied(restocked, entry)
    if isinstance(cmd, ReserveStock):
        level, answer = reserve(stock, cmd, at=at, ledger=ledger)
        refused = isinstance(answer, StockUnavailable)
        return Applied(level, answer, "unavailable" if refused else None)
    if isinstance(cmd, ReleaseStock):
        return Applied(release(stock, cmd, at=at), None, "released")
    return Applied(commit(stock, cmd, at=at), None, "committed")
