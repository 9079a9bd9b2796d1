"""Stock per sku: reserve, release and commit exactly once per (orderId, sku), and restock."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from domain.envelope import Envelope, Parsed, caused_by
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


class StockShown(BaseModel):
    """What ``GET /inventory/{sku}`` answers."""

    sku: str
    name: str
    unitPrice: float
    available: int = Field(description="free to reserve")
    reserved: int = Field(description="held for orders in progress")
    sold: int


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
        return StockShown(**shown, unitPrice=float(self.unitPrice)).model_dump()


def _seen(stock: StockLevel | None, at: int) -> bool:
    return stock is not None and at <= stock.position


def _settle(stock: StockLevel, order_id: str, at: int, **changes: int) -> StockLevel:
    reservations = {o: q for o, q in stock.reservations.items() if o != order_id}
    return stock.model_copy(update={**changes, "reservations": reservations, "position": at})


Outcome = Literal["unavailable", "released", "committed"]


# a known sku stays known: a level given is a level returned
Level = TypeVar("Level", StockLevel, StockLevel | None)


def reserve(
    stock: Level, cmd: ReserveStock, *, at: int, ledger: Outcome | None = None
) -> tuple[Level, StockReserved | StockUnavailable | None]:
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


def release(stock: Level, cmd: ReleaseStock, *, at: int) -> Level:
    """Give back what the order holds (nothing if it holds nothing)."""
    if stock is None or _seen(stock, at) or cmd.orderId not in stock.reservations:
        return stock
    held = stock.reservations[cmd.orderId]
    return _settle(
        stock, cmd.orderId, at, available=stock.available + held, reserved=stock.reserved - held
    )


def commit(stock: Level, cmd: CommitStock, *, at: int) -> Level:
    """A confirmed order's reservation becomes a sale."""
    if stock is None or _seen(stock, at) or cmd.orderId not in stock.reservations:
        return stock
    held = stock.reservations[cmd.orderId]
    return _settle(stock, cmd.orderId, at, reserved=stock.reserved - held, sold=stock.sold + held)


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


def settlement_key(cmd: InventoryCommand) -> str | None:
    """The ledger key of an order's request for one sku (kept in the sku's partition); None for a
    restock, which no order makes."""
    return None if isinstance(cmd, RestockItem) else f"{cmd.sku}/{cmd.orderId}"


@dataclass(frozen=True, slots=True)
class Books:
    """What one stock command reads and changes: the sku's level and, for an order's command, how
    that order's request for the sku ended (the ledger at ``settlement_key``)."""

    level: StockLevel | None
    settled: Outcome | None = None


def decide(books: Books, event: Parsed, *, at: int) -> tuple[Books, list[Envelope]]:
    """One command on inventory.commands, at offset ``at`` of the sku's partition: the new books
    (the ledger keeps the first ending) and what to send (StockReserved / StockUnavailable, or the
    CatalogItem a restock changed). The agent and ``faust -A app replay`` both call this."""
    cmd, cause = event.body, event.envelope
    assert isinstance(cmd, InventoryCommand)
    if isinstance(cmd, RestockItem):
        level, entry = restock(books.level, cmd, str(cause.eventId), at=at)
        sent = [] if entry is None else [caused_by(entry, cause=cause, step="catalog")]
        return Books(level), sent
    if isinstance(cmd, ReserveStock):
        held, answer = reserve(books.level, cmd, at=at, ledger=books.settled)
        ending: Outcome | None = "unavailable" if isinstance(answer, StockUnavailable) else None
        sent = [] if answer is None else [caused_by(answer, cause=cause, step="answer")]
        return Books(held, books.settled or ending), sent
    if isinstance(cmd, ReleaseStock):
        return Books(release(books.level, cmd, at=at), books.settled or "released"), []
    assert isinstance(cmd, CommitStock)
    return Books(commit(books.level, cmd, at=at), books.settled or "committed"), []
