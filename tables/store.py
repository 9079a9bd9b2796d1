"""A RocksDB table of pydantic values keyed by plain UTF-8 ids (the shape every slice uses)."""

from __future__ import annotations

import typing
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
    the bytes producers use, not the JSON string '"o-1"' (the cause of faust-streaming #514).

    A value read is parsed from its JSON (pydantic), unless it is the one this worker last wrote
    or read for that key: then the model is given again (``_kept``), found by comparing the stored
    bytes, so a value that came any other way (a recovery, another owner) is parsed. Only for
    models whose every field is typed (``json_stable``): one with ``Any`` inside (an envelope's
    ``data``) reads back other types than were written (a ``Decimal`` as a string), and giving the
    written one would make a handler decide differently before and after a restart. Kept: what
    the record cache holds, at most ``ORDERS_TABLE_CACHE_RECORDS`` keys per table. A stock
    level's read was 3 % of a worker's CPU in ``make bench``, its parse nearly all of it."""

    def __init__(self, name: str, model: type[M], help: str) -> None:
        self.model = model
        self._kept: dict[bytes, tuple[bytes, M]] | None = {} if json_stable(model) else None
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
        if raw is None:
            return None
        kept = self._kept
        if kept is not None:
            seen = kept.get(raw_key)
            if seen is not None and (seen[0] is raw or seen[0] == raw):
                return seen[1]
        value = self.model.model_validate_json(raw)
        self._keep(raw_key, raw, value)
        return value

    def put(self, key: str, value: M) -> None:
        raw_key, raw = key.encode(), value.model_dump_json().encode()
        self.table[raw_key] = raw
        self._keep(raw_key, raw, value)
        for notify in self.subscribers:
            notify(key)

    def _keep(self, raw_key: bytes, raw: bytes, value: M) -> None:
        kept = self._kept
        if kept is None:
            return
        if len(kept) >= settings.table_cache_records and raw_key not in kept:
            kept.clear()  # the bound: the next reads parse again
        kept[raw_key] = (raw, value)

    def subscribe(self, notify: Callable[[str], None]) -> None:
        """Call ``notify(key)`` after each write (the read side wakes its long-polls so)."""
        self.subscribers.append(notify)


def json_stable(model: Any, seen: frozenset[type] = frozenset()) -> bool:
    """Whether every field of ``model`` (nested models, lists, dicts …) has a type, so that a
    value parsed from its JSON has the types of the value written: no ``Any`` anywhere."""
    if model is Any:
        return False
    if isinstance(model, type) and issubclass(model, BaseModel):
        inner = seen | {model}
        return model in seen or all(
            json_stable(field.annotation, inner) for field in model.model_fields.values()
        )
    return all(json_stable(arg, seen) for arg in typing.get_args(model))
