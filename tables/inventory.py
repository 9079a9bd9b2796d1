"""Stock per sku (inventory.commands is keyed by sku: one writer per sku, no races), and the
ledger of how each (sku, orderId) request ended (refused, released, committed) that answers a
late duplicate ReserveStock as the first one was answered."""

from pydantic import BaseModel, ConfigDict

from domain.inventory import Outcome, StockLevel
from tables.store import JsonTable


class Settlement(BaseModel):
    model_config = ConfigDict(frozen=True)
    outcome: Outcome


stock_levels = JsonTable("stock-levels", StockLevel, "StockLevel by sku")
stock_settlements = JsonTable(
    "stock-settlements", Settlement, "how each order's request for a sku ended, by sku/orderId"
)
