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
from app.runtime.sends import failed_sends


def unsettled(store: CachedStore, key: bytes | None) -> list[asyncio.Future[Any]]:
    """What a read of ``key`` (None: of every key) waits for: the flush of the partition holding
    it, asked for now, and every earlier flush's sends still in flight (a partition's sends are
    acknowledged in order, one request at a time: its last one stands for all; one refused
    for good keeps every read refused, as the worker stops at its next commit)."""
    holding = [p for p, keys in store.dirty.items() if key is None or key in keys]
    for partition in holding:
        store.ask(partition)
    landing = [f for f in store.landing.values() if not f.done() or _failed(f)]
    return [store.acked_for(p) for p in holding] + landing


def _failed(fut: asyncio.Future[Any]) -> bool:
    return fut.cancelled() or fut.exception() is not None


async def settled(table: TableT[Any, Any], key: bytes | None, timeout: float) -> bool:
    """True once what ``table`` holds for ``key`` (None: for every key) is on the broker; False
    if that did not happen within ``timeout`` or a send failed (the worker is about to stop)."""
    store = table.data
    if not isinstance(store, CachedStore):  # Faust's own store: no cache in front of it
        return not failed_sends
    if waits := unsettled(store, key):
        done, pending = await asyncio.wait(waits, timeout=timeout)
        if pending or any(_failed(f) for f in done):
            return False
    return not failed_sends
