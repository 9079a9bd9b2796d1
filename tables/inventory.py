"""Stock levels by sku (inventory.commands is keyed by sku: one writer per sku, no races)."""

from domain.inventory import StockLevel
from tables.store import JsonTable

stock_levels = JsonTable("stock-levels", StockLevel, "StockLevel by sku")
