"""A record cache in front of every keyed table: the design Kafka Streams uses by default (KIP-63).

Faust writes RocksDB and sends one changelog record for every ``table[key] = value``: a saga
written five times between two commits cost five changelog records, five standby applies, five
records to replay on recovery, and a stock level (six hot keys) one record per order. Here a write
lands in memory (``CachedStore.dirty``, per partition) and is read from there; a flush writes one
RocksDB batch per partition and one changelog record per key — its latest value, or a tombstone.

When it flushes, and why that is safe:

- **before every commit** (``DurableConsumer._commit_offsets`` calls ``flush_all`` first): the
  offsets to commit were taken before the flush, so every record they cover has its writes in
  the cache by then; the commit then waits for the broker's ack of every changelog record sent
  (``app.runtime.sends``), as it did for the direct writes. No offset is committed past a write
  that is not on the broker.
- **on revoke and on stop** (``drain_and_commit``, and a revoked partition's writes in
  ``revoke_partitions`` whatever happened before): a partition leaves with its writes sent.
- **on a size bound** (``ORDERS_TABLE_CACHE_RECORDS`` keys held, all tables): memory stays
  bounded under any backlog. Flushing early is always safe: it only sends sooner.

A ``kill -9`` loses what the cache held, exactly as it loses the offsets not committed: the
records are delivered again from the last commit and rebuild it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from typing import Any

from faust.stores import rocksdb
from faust.streams import current_event
from faust.types import TP, CollectionT
from rocksdict import WriteBatch

from app.runtime import outbox

log = logging.getLogger(__name__)

_stores: list[CachedStore] = []
failed_flushes: list[str] = []  # flushes that failed: the commit must not pass them
_bound = {"limit": 10_000, "held": 0}  # keys held in every cache together, and the most allowed
_linger = [0.0]  # seconds a flush that events wait for may wait for more writes
_scheduled: list[asyncio.Handle | None] = [None]


def configure(max_records: int, linger: float = 0.0) -> None:
    """Flush every table once this many keys are held, all tables together; a flush that events
    wait for runs ``linger`` seconds after it is asked for (0: once the loop's ready work ran)."""
    _bound["limit"] = max_records
    _linger[0] = linger


def held() -> int:
    """Keys held in every cache, not yet flushed."""
    return _bound["held"]


def flush_all() -> int:
    """Flush every table's cache; the number of changelog records sent."""
    return sum(store.flush() for store in _stores)


def _flush_soon() -> None:
    """A handler's events wait for its writes: flush the partitions waited for, soon. Every
    handler that runs before then joins the same flush (batches grow with load, none idle)."""
    if _scheduled[0] is not None:
        return
    loop = asyncio.get_running_loop()
    if _linger[0] > 0:
        _scheduled[0] = loop.call_later(_linger[0], _flush_waited)
    else:
        _scheduled[0] = loop.call_soon(_flush_waited)


def _flush_waited() -> None:
    _scheduled[0] = None
    try:
        for store in _stores:
            store.flush(set(store.acked))
    except Exception:  # kept in ``failed_flushes``: the next commit stops the worker
        log.exception("a table flush failed")


class CachedStore(rocksdb.Store):
    """Faust's RocksDB store with its writes held per partition until ``flush``."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.use_rocksdict:
            raise RuntimeError("the record cache writes rocksdict batches; python-rocksdb is not")
        self.dirty: dict[int, dict[bytes, bytes | None]] = {}  # partition -> key -> value/None
        self.flushed = 0  # changelog records sent by flushes, for the benchmark
        # partition -> done once its next flush is on the broker: the events of the handlers
        # that wrote it wait for this (``app.runtime.outbox``)
        self.acked: dict[int, asyncio.Future[None]] = {}
        _stores.append(self)

    def _event_partition(self) -> int | None:
        event = current_event()
        return None if event is None else int(event.message.partition)

    def _set(self, key: bytes, value: bytes | None) -> None:
        partition = self._event_partition()
        if partition is None:
            raise RuntimeError(f"{self.table.name}: written outside of a stream's record")
        keys = self.dirty.setdefault(partition, {})
        if key not in keys:
            _bound["held"] += 1
        keys[key] = value
        self._key_index[key] = partition
        if outbox.in_handler():
            acked = self.acked.get(partition)
            if acked is None:
                acked = self.acked[partition] = asyncio.get_running_loop().create_future()
                acked.add_done_callback(outbox.retrieved)
            outbox.wrote(acked)
            _flush_soon()
        if _bound["held"] >= _bound["limit"]:
            flush_all()

    def _del(self, key: bytes) -> None:
        self._set(key, None)

    def _held(self, key: bytes) -> tuple[bool, bytes | None]:
        """``(True, value)`` when the cache holds ``key`` (value None: deleted)."""
        partition = self._event_partition()
        if partition is not None:  # an agent reads its own partition, as Faust's store does
            keys = self.dirty.get(partition)
            return (True, keys[key]) if keys is not None and key in keys else (False, None)
        for keys in self.dirty.values():  # a read from HTTP: any partition held here
            if key in keys:
                return True, keys[key]
        return False, None

    def _get(self, key: bytes) -> bytes | None:
        found, value = self._held(key)
        return value if found else super()._get(key)

    def _contains(self, key: bytes) -> bool:
        found, value = self._held(key)
        return value is not None if found else bool(super()._contains(key))

    def _active_partitions(self) -> Iterator[tuple[int, Any]]:
        actives = self.app.assignor.assigned_actives()
        topic = self.table.changelog_topic.get_topic_name()
        for partition, db in list(self._dbs.items()):
            if TP(topic=topic, partition=partition) in actives or self.table.is_global:
                yield partition, db

    def _iteritems(self) -> Iterator[tuple[bytes, bytes]]:
        for partition, db in self._active_partitions():
            keys = dict(self.dirty.get(partition, {}))
            for key, value in self._visible_items(db):
                if key not in keys:
                    yield key, value
            yield from ((k, v) for k, v in keys.items() if v is not None)

    def _iterkeys(self) -> Iterator[bytes]:
        return (key for key, _ in self._iteritems())

    def _itervalues(self) -> Iterator[bytes]:
        return (value for _, value in self._iteritems())

    def _size(self) -> int:
        return sum(1 for _ in self._iteritems())

    def flush(self, partitions: set[int] | None = None) -> int:
        """One RocksDB batch per partition (all, or ``partitions``), then one changelog record per
        key; the records sent. A partition leaves the cache only once both are done; a failure
        is kept in ``failed_flushes`` (the commit refuses to pass it, as it does a failed send)
        and fails the events waiting for it."""
        sent = 0
        for partition in [p for p in self.dirty if partitions is None or p in partitions]:
            keys = self.dirty[partition]
            acked = self.acked.pop(partition, None)
            try:
                batch = WriteBatch(raw_mode=True)
                for key, value in keys.items():
                    if value is None:
                        batch.delete(key)
                    else:
                        batch.put(key, value)
                self._db_for_partition(partition).write(batch)
                futures = [
                    self.table.send_changelog(
                        partition, key, value, key_serializer="raw", value_serializer="raw"
                    )
                    for key, value in keys.items()
                ]
            except Exception as exc:
                failed_flushes.append(f"{self.table.name}/{partition}: {exc!r}")
                if acked is not None:
                    acked.set_exception(exc)
                raise
            if acked is not None:
                outbox.all_of([f for f in futures if isinstance(f, asyncio.Future)], acked)
            del self.dirty[partition]
            sent += len(keys)
            _bound["held"] -= len(keys)
        self.flushed += sent
        return sent

    def drop(self, partitions: set[int], why: str) -> None:
        """Forget what the cache holds for ``partitions``: writes of records not committed (the
        next owner handles them again), made after the partitions' drain."""
        dropped = sum(len(self.dirty.pop(p, {})) for p in partitions)
        for p in partitions:
            if (acked := self.acked.pop(p, None)) is not None:
                acked.set_exception(outbox.Dropped(f"{self.table.name}/{p}: {why}"))
        if dropped:
            _bound["held"] -= dropped
            log.warning("%s: %d cached writes dropped (%s)", self.table.name, dropped, why)

    def revoke_partitions(self, table: CollectionT, tps: set[TP]) -> None:
        """A partition leaving: the revoke's drain flushed and committed what its acknowledged
        records wrote; what is still here was written after, by records not committed."""
        self.drop({tp.partition for tp in tps if tp.topic in table.changelog_topic.topics},
                  "partition revoked")  # fmt: skip
        super().revoke_partitions(table, tps)

    async def on_rebalance(
        self, assigned: set[TP], revoked: set[TP], newly_assigned: set[TP], generation_id: int = 0
    ) -> None:
        """A partition kept as a standby is not revoked, yet no longer written here."""
        await super().on_rebalance(assigned, revoked, newly_assigned, generation_id)
        topic = self.table.changelog_topic.get_topic_name()
        active = {tp.partition for tp in self.app.assignor.assigned_actives() if tp.topic == topic}
        self.drop(set(self.dirty) - active, "partition no longer active here")
