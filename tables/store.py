"""A RocksDB table of pydantic values keyed by plain UTF-8 ids (the shape every slice uses)."""

from __future__ import annotations

import typing
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from faust.types import TableT
from pydantic import BaseModel, PlainSerializer, WrapSerializer

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
    frozen models that read back as written (``json_stable``): one with ``Any`` inside (an
    envelope's ``data``) reads back other types (a ``Decimal`` as a string), one with ``Money`` or
    ``UtcDatetime`` other values (a float, milliseconds), and giving the written one would make a
    handler decide differently before and after a restart. Kept: what
    the record cache holds, at most ``ORDERS_TABLE_CACHE_RECORDS`` keys per table. A stock
    level's read was 3 % of a worker's CPU in ``make bench``, its parse nearly all of it."""

    def __init__(self, name: str, model: type[M], help: str) -> None:
        self.model = model
        keep = json_stable(model) and model.model_config.get("frozen", False)  # shared: frozen
        self._kept: dict[bytes, tuple[bytes, M]] | None = {} if keep else None
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
    """Whether a value of ``model`` parsed from its own JSON equals it, with the same types: every
    field typed (no ``Any``, ``object`` or bare container anywhere) and written as it is (no
    serializer that changes it on the way: ``Money`` as a float, ``UtcDatetime`` to the
    millisecond)."""
    if model is Any or model is object or model in _BARE:
        return False
    origin, args = typing.get_origin(model), typing.get_args(model)
    if origin is typing.Annotated:
        return not any(map(_lossy, args[1:])) and json_stable(args[0], seen)
    if origin in _BARE and not args:
        return False
    if isinstance(model, type) and issubclass(model, BaseModel):
        if model in seen:
            return True
        decorators = model.__pydantic_decorators__
        if decorators.field_serializers or decorators.model_serializers:
            return False
        return all(
            not any(map(_lossy, field.metadata)) and json_stable(field.annotation, seen | {model})
            for field in model.model_fields.values()
        )
    return all(json_stable(arg, seen) for arg in args)


_BARE = (dict, list, set, frozenset, tuple)


def _lossy(metadata: object) -> bool:
    return isinstance(metadata, (PlainSerializer, WrapSerializer))
