"""A RocksDB table of pydantic values keyed by plain UTF-8 ids (the shape every slice uses)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, TypeVar

from faust.types import TableT
from pydantic import BaseModel

from app.application import app
from app.runtime.tables import CachedTable
from app.settings import settings

M = TypeVar("M", bound=BaseModel)


class JsonTable(Generic[M]):
    """``key_type=bytes`` makes Faust's key codec "raw": the changelog key and the routing hash are
    the bytes producers use, not the JSON string '"o-1"' (the cause of faust-streaming #514)."""

    def __init__(self, name: str, model: type[M], help: str) -> None:
        self.model = model
        self.subscribers: list[Callable[[str], None]] = []
        table = CachedTable(
            app, name=name, beacon=app.tables.beacon, key_type=bytes, value_type=bytes,
            partitions=settings.topic_partitions, help=help,
            extra_topic_configs=settings.durability(),
        )  # fmt: skip
        app.tables.add(table)
        self.table: TableT[Any, Any] = table

    def get(self, key: str) -> M | None:
        raw_key = key.encode()
        self.table.on_key_get(raw_key)  # Faust's sensor (faust_table_operations_total)
        # one lookup in the store: Faust's ``table.get`` asks it ``key in`` and then ``[key]``
        raw = self.table.data.get(raw_key)
        return None if raw is None else self.model.model_validate_json(raw)

    def put(self, key: str, value: M) -> None:
        self.table[key.encode()] = value.model_dump_json().encode()
        for notify in self.subscribers:
            notify(key)

    def subscribe(self, notify: Callable[[str], None]) -> None:
        """Call ``notify(key)`` after each write (the read side wakes its long-polls so)."""
        self.subscribers.append(notify)
