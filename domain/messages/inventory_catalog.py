"""inventory.catalog, keyed by sku and compacted: what every order handler prices from."""

from __future__ import annotations

from typing import ClassVar

from domain.messages.base import Message
from domain.types import Money, Name, Sku


class CatalogItem(Message):
    stream: ClassVar[str] = "inventory.catalog"
    key_field: ClassVar[str] = "sku"
    sku: Sku
    name: Name
    unitPrice: Money
