"""``CachedStore`` on a real RocksDB in a temporary folder, no broker: what it reads back, what a
flush writes and sends, what a revoke drops, and a flush that fails."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any

import pytest
from faust.stores import rocksdb
from faust.streams import _current_event
from faust.types import TP

from app.runtime import record_cache
from app.runtime.record_cache import CachedStore
from app.runtime.tables import CachedTable
from tests.unit.app.runtime.cached_store import in_partition, sent, store

__all__ = ["store"]  # the fixture


def test_writes_are_read_from_memory_and_flushed_once_per_key(store: CachedStore) -> None:
    ev = in_partition(1)
    for n in range(5):
        store[b"o-1"] = f"v{n}".encode()
    store[b"o-2"] = b"x"
    assert store[b"o-1"] == b"v4" and b"o-2" in store
    assert record_cache.held() == 2
    _current_event.set(None)  # an HTTP read: no event, any partition held here
    assert store.get(b"o-1") == b"v4"
    assert dict(store.items()) == {b"o-1": b"v4", b"o-2": b"x"}
    assert record_cache.flush_all() == 2
    assert sorted(sent(store)) == [(1, b"o-1", b"v4"), (1, b"o-2", b"x")]
    assert record_cache.held() == 0 and store.get(b"o-1") == b"v4"  # from RocksDB now
    del ev


def test_a_delete_is_a_tombstone_until_flushed(store: CachedStore) -> None:
    ev = in_partition(0)
    store[b"k"] = b"v"
    record_cache.flush_all()
    del store[b"k"]
    assert b"k" not in store and dict(store.items()) == {}
    record_cache.flush_all()
    assert sent(store)[-1] == (0, b"k", None)
    assert store.get(b"k") is None
    del ev


def test_the_size_bound_flushes_every_table(store: CachedStore, monkeypatch: Any) -> None:
    monkeypatch.setitem(record_cache._bound, "limit", 3)
    ev = in_partition(2)
    store[b"a"], store[b"b"] = b"1", b"2"
    assert sent(store) == []
    store[b"c"] = b"3"
    assert len(sent(store)) == 3 and record_cache.held() == 0
    del ev


def test_a_revoked_partition_drops_what_it_holds_and_keeps_the_others(store: CachedStore) -> None:
    ev = in_partition(0)
    store[b"a"] = b"1"
    ev2 = in_partition(1)
    store[b"b"] = b"2"
    store.revoke_partitions(store.table, {TP("t-changelog", 0)})
    assert record_cache.held() == 1
    assert record_cache.flush_all() == 1 and sent(store) == [(1, b"b", b"2")]
    del ev, ev2


def test_a_flush_that_fails_keeps_its_writes_and_is_recorded(
    store: CachedStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    failed: list[str] = []
    monkeypatch.setattr(record_cache, "failed_sends", failed)
    ev = in_partition(0)
    store[b"a"] = b"1"

    def broken(*_: Any, **__: Any) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(store.table, "send_flush", broken)
    assert record_cache.flush_all() == 0  # recorded, not raised: the commit refuses to pass it
    assert failed and record_cache.held() == 1
    assert store.get(b"a") == b"1"
    del ev


def landed(store: CachedStore, partition: int, result: int | BaseException) -> None:
    """``CachedTable._flush_landed`` for ``store``: its flush of ``partition`` acknowledged."""
    fut: asyncio.Future[int] = asyncio.get_running_loop().create_future()
    if isinstance(result, BaseException):
        fut.set_exception(result)
    else:
        fut.set_result(result)
    table = SimpleNamespace(data=store)
    CachedTable._flush_landed(table, TP("t-changelog", partition), fut)  # type: ignore[arg-type]


async def test_a_landed_flush_keeps_its_last_offset_once_and_only_where_it_belongs(
    store: CachedStore,
) -> None:
    tp1, tp2 = TP("t-changelog", 1), TP("t-changelog", 2)
    store._db_for_partition(1), store._db_for_partition(2)  # both open here
    landed(store, 1, 41)
    assert store.persisted_offset(tp1) == 41  # where a recovery of the partition starts
    landed(store, 1, RuntimeError("refused"))
    assert store.persisted_offset(tp1) == 41  # a failed flush keeps nothing
    store.drop({2}, "partition revoked")  # left before its ack came: the next owner writes on
    landed(store, 2, 99)
    assert store.persisted_offset(tp2) is None  # higher than this store holds would skip theirs


async def test_a_partition_kept_here_as_a_standby_is_written_no_more(
    store: CachedStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given partitions 1 and 2 active here, 2's writes flushed, 1's in the cache
    async def faust_part(*args: Any) -> None:  # Faust's store: opens and closes databases
        return None

    monkeypatch.setattr(rocksdb.Store, "on_rebalance", faust_part)
    monkeypatch.setattr(store.table, "partitions", 3, raising=False)
    actives = {TP("t-changelog", 1), TP("t-changelog", 2)}
    monkeypatch.setattr(store.app.assignor, "assigned_actives", lambda: actives)
    events = [in_partition(1)]
    store[b"a"] = b"1"
    events.append(in_partition(2))
    store[b"b"] = b"2"
    store.flush({2})
    # When a rebalance keeps 2 here only as a standby (not revoked)
    actives.discard(TP("t-changelog", 2))
    await store.on_rebalance(set(), set(), set())
    # Then a handler still running cannot write it (its events fail with the partition), its
    # flush acknowledged late keeps no offset, and partition 1 goes on
    store[b"c"] = b"3"
    assert 2 not in store.dirty
    landed(store, 2, 7)
    assert store.persisted_offset(TP("t-changelog", 2)) is None
    events.append(in_partition(1))
    store[b"d"] = b"4"
    assert record_cache.flush_all() == 2
    assert sent(store) == [(2, b"b", b"2"), (1, b"a", b"1"), (1, b"d", b"4")]
    del events
