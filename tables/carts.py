"""Shopping carts by userId (co-partitioned with orders.commands and users.events)."""

from domain.carts import Cart
from tables.store import JsonTable

carts = JsonTable("carts", Cart, "Cart by userId")
