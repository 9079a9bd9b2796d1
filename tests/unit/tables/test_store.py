"""A table read gives the model last written or read for its key when the stored bytes are those,
and parses whatever else is stored; only models whose fields are all typed are kept so."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from domain.inventory import StockLevel
from domain.saga import SagaState
from tables.aggregates import user_aggregates, user_orders
from tables.inventory import stock_levels, stock_settlements
from tables.order_status import order_statuses
from tables.orders import order_decisions
from tables.payments import payment_records
from tables.saga import sagas
from tables.store import JsonTable, json_stable


class Stored(dict[bytes, bytes]):
    """Stands for the Faust table and its store: ``table[key] = raw``, ``table.data.get(key)``."""

    name = "test"

    def __init__(self) -> None:
        super().__init__()
        self.data = self

    def on_key_get(self, key: bytes) -> None:
        pass


def table_of(model: type[Any]) -> JsonTable[Any]:
    table: JsonTable[Any] = object.__new__(JsonTable)
    table.model, table.subscribers = model, []
    table.table = Stored()  # type: ignore[assignment]
    table._kept = {} if json_stable(model) and model.model_config.get("frozen") else None
    return table


def test_which_tables_keep_their_models() -> None:
    kept: list[JsonTable[Any]] = [stock_levels, stock_settlements, payment_records, user_orders]
    # an Any inside (data, details), or Money / UtcDatetime (read back as a float, milliseconds)
    parsed_always: list[JsonTable[Any]] = [sagas, order_decisions, order_statuses, user_aggregates]
    assert all(t._kept is not None for t in kept)
    assert all(t._kept is None for t in parsed_always)
    assert not json_stable(SagaState) and json_stable(StockLevel)


def test_a_value_written_is_read_back_without_a_parse() -> None:
    table = table_of(StockLevel)
    level = StockLevel(sku="s-1", available=3, unitPrice=Decimal("2.50"))
    table.put("s-1", level)
    assert table.get("s-1") is level
    assert table.get("s-2") is None


def test_bytes_stored_another_way_are_parsed() -> None:
    table = table_of(StockLevel)
    table.put("s-1", StockLevel(sku="s-1", available=3))
    other = StockLevel(sku="s-1", available=1)  # a recovery, another owner's write
    table.table[b"s-1"] = other.model_dump_json().encode()
    read = table.get("s-1")
    assert read == other and read is not other
    assert table.get("s-1") is read  # then kept
    table.table[b"s-1"] = bytes(bytearray(other.model_dump_json().encode()))  # equal bytes
    assert table.get("s-1") is read


def test_a_model_with_an_untyped_field_is_always_parsed() -> None:
    table = table_of(SagaState)
    assert table._kept is None


@pytest.mark.parametrize("limit", [3])
def test_what_is_kept_is_bounded(limit: int, monkeypatch: pytest.MonkeyPatch) -> None:
    from app.settings import settings
    from tables import store

    monkeypatch.setattr(store, "settings", settings.model_copy(
        update={"table_cache_records": limit}))  # fmt: skip
    table = table_of(StockLevel)
    for n in range(10):
        table.put(f"s-{n}", StockLevel(sku=f"s-{n}"))
        assert table._kept is not None and len(table._kept) <= limit
    assert table.get("s-9") == StockLevel(sku="s-9")
    assert table.get("s-0") == StockLevel(sku="s-0")  # parsed again, not lost


def test_what_reads_back_otherwise_is_not_stable() -> None:
    from datetime import datetime

    from pydantic import BaseModel, ConfigDict

    from domain.types import Money, UtcDatetime

    class Typed(BaseModel):
        model_config = ConfigDict(frozen=True)
        counts: dict[str, int]
        price: Decimal

    class Bare(BaseModel):
        counts: dict

    class Priced(BaseModel):
        price: Money

    class Dated(BaseModel):
        at: UtcDatetime | None = None

    class Nested(BaseModel):
        inner: list[Dated]

    assert json_stable(Typed)
    assert not any(json_stable(m) for m in (Bare, Priced, Dated, Nested))
    dated = Dated(at=datetime.fromisoformat("2026-12-04T10:00:00.123456+00:00"))
    assert Dated.model_validate_json(dated.model_dump_json()) != dated  # why: milliseconds
