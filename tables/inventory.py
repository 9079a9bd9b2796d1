"""Stock per sku (inventory.commands is keyed by sku: one writer per sku, no races), and the
ledger of settled (orderId, sku) pairs that keeps a late duplicate ReserveStock from holding
stock again."""

from typing import Literal

from pydantic import BaseModel

from domain.inventory import StockLevel
from tables.store import JsonTable


class Settlement(BaseModel):
    outcome: Literal["released", "committed"]


stock_levels = JsonTable("stock-levels", StockLevel, "StockLevel by sku")
stock_settlements = JsonTable(
    "stock-settlements", Settlement, "how each order's hold on a sku ended, by sku/orderId"
)
