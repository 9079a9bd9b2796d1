"""The record cache's read side (app/runtime/settled.py): a read from HTTP answers only values the
broker has acknowledged. A handler that only writes leaves its write in the cache until the next
commit, and a ``kill -9`` before it would take back what a client was shown."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any

from faust.streams import _current_event

from app.runtime import record_cache
from app.runtime.record_cache import CachedStore
from app.runtime.settled import settled
from tests.unit.app.runtime.cached_store import in_partition, sent, store
from tests.unit.app.runtime.test_record_cache_outbox import AckedTable, acked, turns

__all__ = ["acked", "store"]  # the fixtures


def written(store: CachedStore, partition: int, key: bytes, value: bytes) -> None:
    """What a handler that sends no event does: the write stays in the cache."""
    ev = in_partition(partition)
    store[key] = value
    del ev
    _current_event.set(None)  # the read below comes from HTTP, not from a stream


def acks(store: CachedStore) -> list[asyncio.Future[None]]:
    table = store.table
    assert isinstance(table, AckedTable)
    return table.acks


def table_of(store: CachedStore) -> Any:
    return SimpleNamespace(data=store)


async def test_a_read_of_a_held_write_asks_its_flush_and_answers_once_it_is_acknowledged(
    acked: CachedStore,
) -> None:
    written(acked, 2, b"o-1", b"CONFIRMED")
    await turns()
    assert sent(acked) == []  # no commit, no event: nothing asks for the flush
    read = asyncio.ensure_future(settled(table_of(acked), b"o-1", timeout=5))
    await turns()
    assert sent(acked) == [(2, b"o-1", b"CONFIRMED")]  # the read asked for it
    assert not read.done()  # sent is not acknowledged
    acks(acked)[0].set_result(None)
    assert await read is True
    assert record_cache.held() == 0


async def test_a_read_of_a_key_not_held_answers_at_once_and_flushes_nothing(
    acked: CachedStore,
) -> None:
    written(acked, 2, b"o-1", b"CONFIRMED")
    assert await settled(table_of(acked), b"o-2", timeout=5) is True
    await turns()
    assert sent(acked) == [] and record_cache.held() == 1  # o-1 still waits for the commit


async def test_a_read_waits_for_a_flush_still_in_flight(acked: CachedStore) -> None:
    written(acked, 0, b"o-1", b"CONFIRMED")
    record_cache.flush_all()  # a commit's flush: in RocksDB, its changelog record not acked
    read = asyncio.ensure_future(settled(table_of(acked), b"o-1", timeout=5))
    await turns()
    assert not read.done() and len(sent(acked)) == 1  # nothing flushed twice
    acks(acked)[0].set_result(None)
    assert await read is True


async def test_a_read_of_every_key_flushes_every_partition_held(acked: CachedStore) -> None:
    written(acked, 0, b"o-1", b"CREATED")
    written(acked, 1, b"o-2", b"CONFIRMED")
    read = asyncio.ensure_future(settled(table_of(acked), None, timeout=5))
    await turns()
    assert sorted(sent(acked)) == [(0, b"o-1", b"CREATED"), (1, b"o-2", b"CONFIRMED")]
    for ack in acks(acked):
        ack.set_result(None)
    assert await read is True


async def test_a_refused_or_late_ack_is_not_settled(acked: CachedStore) -> None:
    written(acked, 0, b"o-1", b"CONFIRMED")
    late = await settled(table_of(acked), b"o-1", timeout=0.05)
    assert late is False  # sent, never acknowledged: the view answers 503, not the value
    acks(acked)[0].set_exception(RuntimeError("NotEnoughReplicas"))
    await turns()  # the producer's bookkeeping sees it refused for good
    assert await settled(table_of(acked), b"o-1", timeout=5) is False


async def test_a_read_of_one_key_waits_only_for_its_own_partitions_flush_in_flight(
    acked: CachedStore,
) -> None:
    written(acked, 0, b"o-1", b"CONFIRMED")
    written(acked, 1, b"o-2", b"CREATED")
    record_cache.flush_all()  # both in flight
    by_partition = {p: ack for (p, _, _), ack in zip(sent(acked), acks(acked), strict=True)}
    by_partition[0].set_result(None)  # partition 1's leader is slow
    assert await settled(table_of(acked), b"o-1", timeout=5) is True
    assert await settled(table_of(acked), b"o-2", timeout=0.05) is False
