"""Stock per sku: reserve, release and commit idempotently per (orderId, sku); restock."""

from __future__ import annotations

from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field

from domain.messages import (
    CatalogItem,
    CommitStock,
    ReleaseStock,
    ReserveStock,
    RestockItem,
    StockReserved,
    StockUnavailable,
)

# How many settled orders / applied restocks a sku remembers to ignore their duplicates: a
# duplicate arrives within a rebalance or a redrive, not thousands of orders later.
MEMORY = 5000


class StockLevel(BaseModel):
    model_config = ConfigDict(frozen=True)

    sku: str
    name: str = ""
    unitPrice: Decimal = Decimal("0")
    available: int = 0
    reserved: int = 0
    sold: int = 0
    reservations: dict[str, int] = Field(default_factory=dict)  # orderId -> quantity held
    settled: list[str] = Field(default_factory=list)  # orderIds released or committed
    restocks: list[str] = Field(default_factory=list)  # restock event ids applied

    def public(self) -> dict[str, object]:
        shown = self.model_dump(include={"sku", "name", "available", "reserved", "sold"})
        return {**shown, "unitPrice": float(self.unitPrice)}


def _settle(stock: StockLevel, order_id: str, **changes: int) -> StockLevel:
    reservations = {o: q for o, q in stock.reservations.items() if o != order_id}
    settled = [*stock.settled, order_id][-MEMORY:]
    return stock.model_copy(update={**changes, "reservations": reservations, "settled": settled})


def reserve(
    stock: StockLevel | None, cmd: ReserveStock
) -> tuple[StockLevel | None, StockReserved | StockUnavailable | None]:
    """Hold stock for an order; a repeat gets the same answer; a settled order gets nothing."""
    ids = {"orderId": cmd.orderId, "userId": cmd.userId, "sku": cmd.sku}
    if stock is not None and cmd.orderId in stock.reservations:
        return stock, StockReserved(**ids, quantity=stock.reservations[cmd.orderId])
    if stock is not None and cmd.orderId in stock.settled:
        return stock, None
    available = stock.available if stock else 0
    if stock is None or available < cmd.quantity:
        return stock, StockUnavailable(**ids, requested=cmd.quantity, available=available)
    held = {**stock.reservations, cmd.orderId: cmd.quantity}
    return stock.model_copy(
        update={"available": available - cmd.quantity, "reserved": stock.reserved + cmd.quantity,
                "reservations": held}
    ), StockReserved(**ids, quantity=cmd.quantity)  # fmt: skip


def release(stock: StockLevel | None, cmd: ReleaseStock) -> StockLevel | None:
    """Give back what the order holds (nothing if it holds nothing); remember it as settled."""
    if stock is None or cmd.orderId in stock.settled:
        return stock
    held = stock.reservations.get(cmd.orderId, 0)
    return _settle(
        stock, cmd.orderId, available=stock.available + held, reserved=stock.reserved - held
    )


def commit(stock: StockLevel | None, cmd: CommitStock) -> StockLevel | None:
    """A confirmed order's reservation becomes a sale."""
    if stock is None or cmd.orderId not in stock.reservations:
        return stock
    held = stock.reservations[cmd.orderId]
    return _settle(stock, cmd.orderId, reserved=stock.reserved - held, sold=stock.sold + held)


def restock(
    stock: StockLevel | None, cmd: RestockItem, event_id: str
) -> tuple[StockLevel, CatalogItem | None]:
    """Add stock and set name and price; returns the catalog entry when it changed."""
    current = stock or StockLevel(sku=cmd.sku)
    if event_id in current.restocks:
        return current, None
    updated = current.model_copy(
        update={"available": current.available + cmd.quantity, "name": cmd.name,
                "unitPrice": cmd.unitPrice, "restocks": [*current.restocks, event_id][-MEMORY:]}
    )  # fmt: skip
    changed = (current.name, current.unitPrice) != (cmd.name, cmd.unitPrice)
    entry = CatalogItem(sku=cmd.sku, name=cmd.name, unitPrice=cmd.unitPrice)
    return updated, entry if changed else None
