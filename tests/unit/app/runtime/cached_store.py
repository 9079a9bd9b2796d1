"""A ``CachedStore`` on a real RocksDB in a temporary folder, its table a fake that records what
it was asked to send (no broker), and the stream's current event set by hand."""

from __future__ import annotations

import weakref
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from faust.streams import _current_event

from app.application import app
from app.runtime import record_cache
from app.runtime.record_cache import CachedStore


@dataclass
class Changelog:
    """What the table was asked to send (the broker is not there)."""

    sent: list[tuple[int, bytes, bytes | None]] = field(default_factory=list)

    def send_flush(self, partition: int, records: list[tuple[bytes, bytes | None]]) -> Any:
        self.sent.extend((partition, key, value) for key, value in records)


@dataclass
class Topic:
    topics: frozenset[str] = frozenset({"t-changelog"})

    def get_topic_name(self) -> str:
        return "t-changelog"


class FakeTable(Changelog):
    name = "t"
    is_global = False
    use_partitioner = False
    changelog_topic = Topic()


@dataclass
class Message:
    partition: int


@dataclass
class Event:
    message: Message


@pytest.fixture()
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[CachedStore]:
    monkeypatch.setattr(CachedStore, "path", property(lambda self: tmp_path))
    table = FakeTable()
    s = CachedStore("rocksdb://", app, table, table_name="t", key_type=bytes, value_type=bytes,
                    key_serializer="raw", value_serializer="raw")  # fmt: skip
    monkeypatch.setattr(s, "_active_partitions", lambda: ((p, s._db_for_partition(p))
                                                         for p in range(3)))  # fmt: skip
    monkeypatch.setattr(record_cache, "_stores", [s])
    monkeypatch.setitem(record_cache._bound, "held", 0)
    yield s


def sent(store: CachedStore) -> list[tuple[int, bytes, bytes | None]]:
    table = store.table
    assert isinstance(table, FakeTable)
    return table.sent


def in_partition(partition: int) -> Event:
    event = Event(Message(partition))
    _current_event.set(weakref.ref(event))  # type: ignore[arg-type]  # what the stream sets
    return event  # kept alive by the caller: the context holds a weak reference
