"""A read from HTTP answers only what the broker has acknowledged (the record cache's read side).

The record cache holds a write in memory until the next flush, and a handler that only writes (the
status tracker) is flushed at the next commit. A ``kill -9`` loses what the cache held: the records
come again and the state converges, but a client that was shown the lost value saw the state go
backwards (CONFIRMED, then CREATED from the next owner). So before a read answers, the flush of
what it read is asked for and acknowledged: read-your-writes over acknowledged state only, at the
cost of one flush and one ack (milliseconds on a local broker), and none when nothing is held.
Kafka Streams' interactive queries read the cache as it is (KIP-892 is about the same gap)."""

from __future__ import annotations

import asyncio
from typing import Any

from faust.types import TableT

from app.runtime.record_cache import CachedStore
from app.runtime.sends import failed_sends, unacked_sends


def unsettled(store: CachedStore, key: bytes | None) -> list[asyncio.Future[Any]]:
    """What a read of ``key`` (None: of every key) waits for: the flush of the partition holding
    it, asked for now, and the sends of that partition's earlier flushes still in flight (its
    sends are acknowledged in order, one request at a time: its last one stands for all). A send
    refused for good is in ``failed_sends``: the worker stops at its next commit."""
    holding = [p for p, keys in store.dirty.items() if key is None or key in keys]
    for partition in holding:
        store.ask(partition)
    for partition in [p for p, fut in store.landing.items() if fut.done()]:
        del store.landing[partition]  # on the broker (or in ``failed_sends``)
    where = None if key is None else store._key_index.get(key)  # the last partition written
    landing = [f for p, f in store.landing.items() if where is None or p == where]
    return [store.acked_for(p) for p in holding] + landing


async def settled(table: TableT[Any, Any], key: bytes | None, timeout: float) -> bool:
    """True once what ``table`` holds for ``key`` (None: for every key) is on the broker; False
    if that did not happen within ``timeout`` or a send failed (the worker is about to stop).
    A table with no cache in front of it (Faust's windowed tables) sent its changelog records
    at the write: it waits for every send still in flight."""
    store = table.data
    waits = unsettled(store, key) if isinstance(store, CachedStore) else list(unacked_sends)
    if waits:
        done, pending = await asyncio.wait(waits, timeout=timeout)
        if pending or any(f.cancelled() or f.exception() is not None for f in done):
            return False
    return not failed_sends
