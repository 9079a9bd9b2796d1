"""A record cache in front of every keyed table: the design Kafka Streams uses by default (KIP-63).

A write lands in memory (``CachedStore.dirty``, per partition) and is read from there; a flush
writes one RocksDB batch per partition and one changelog record per key (latest value, or a
tombstone). It flushes before every commit (``DurableConsumer._commit_offsets``), on revoke and
on stop (``drain_and_commit``), when events wait for the writes (``_flush_soon``), on a size bound
(``ORDERS_TABLE_CACHE_RECORDS``), and when a read from HTTP is about to answer a value not yet on
the broker (``app.runtime.settled``). Why each is safe: docs/performance.md, "A record cache".
A ``kill -9`` loses what the cache held, as it loses the offsets not committed: the records come
again from the last commit."""

from __future__ import annotations

import asyncio
import contextvars
import logging
from collections.abc import Iterator
from typing import Any

from faust.stores import rocksdb
from faust.streams import current_event
from faust.types import TP, CollectionT
from rocksdict import WriteBatch

from app.runtime import drills, futures, outbox
from app.runtime.sends import failed_sends, unacked_sends

log = logging.getLogger(__name__)

_stores: list[CachedStore] = []
_bound = {"limit": 10_000, "held": 0}  # keys held in every cache together, and the most allowed
_linger = [0.0]  # seconds a flush that events wait for waits for more (0: one loop turn)
_scheduled: dict[asyncio.AbstractEventLoop, asyncio.Handle] = {}  # the flush asked for, per loop


def configure(max_records: int, linger: float = 0.0) -> None:
    """Flush once this many keys are held (all tables); a flush events wait for: ``linger``."""
    _bound["limit"], _linger[0] = max_records, linger


def held() -> int:  # keys held in every cache, not yet flushed
    return _bound["held"]


def flush_all() -> int:
    """Flush every table's cache; the number of changelog records sent. A partition that fails
    is a failed send (no commit, no clean-stop marker) and fails its events; the rest go on."""
    return sum(store.flush() for store in _stores)


async def flushed(timeout: float) -> None:  # flush, wait at most ``timeout`` for every ack
    flush_all()
    if waiting := list(unacked_sends):
        await asyncio.wait(waiting, timeout=timeout)


def _flush_soon() -> None:
    """Events wait for writes: flush their partitions soon; every handler that runs before then
    joins (batches grow with load). In a context of its own: the flush is no handler's."""
    loop = asyncio.get_running_loop()
    if loop in _scheduled:
        return
    for old in [other for other in _scheduled if other.is_closed()]:
        del _scheduled[old]  # a test's or a restart's loop: its handle will never run
    no_handler = contextvars.Context()
    _scheduled[loop] = loop.call_later(_linger[0], _flush_waited, loop, context=no_handler)


def _flush_waited(loop: asyncio.AbstractEventLoop) -> None:
    _scheduled.pop(loop, None)
    for store in _stores:
        asked, store.asked = store.asked, set()
        store.flush(asked)


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
        self.gone: set[int] = set()  # partitions that left, until assigned here again
        self.asked: set[int] = set()  # partitions whose flush events wait for (``_flush_soon``)
        self._askers: dict[int, outbox.Ask] = {}
        self.landing: dict[int, asyncio.Future[Any]] = {}  # partition -> its last flush's last send
        _stores.append(self)

    def _event_partition(self) -> int | None:
        event = current_event()
        return None if event is None else int(event.message.partition)

    def _set(self, key: bytes, value: bytes | None) -> None:
        partition = self._event_partition()
        if partition is None:
            raise RuntimeError(f"{self.table.name}: written outside of a stream's record")
        if partition in self.gone:  # a record handled after its partition's drain: its next
            outbox.wrote(futures.failed(futures.Dropped(f"{self.table.name}/{partition} left")))
            return  # owner handles it again; neither its write nor its events may leave here
        keys = self.dirty.setdefault(partition, {})
        if key not in keys:
            _bound["held"] += 1
        keys[key] = value
        drills.reached("written")  # a drill's kill -9 with this write in the cache only
        self._key_index[key] = partition
        self._waited_for(partition)
        if _bound["held"] >= _bound["limit"]:
            flush_all()

    def _waited_for(self, partition: int) -> None:
        """Inside a handler, its events wait for the flush of ``partition`` (written, or read
        from the cache: a value decided by a record whose flush is not on the broker yet); the
        flush is asked for once they do (a handler that only writes waits for the commit)."""
        if not outbox.in_handler():
            return
        ask = self._askers.get(partition)
        if ask is None:
            ask = self._askers[partition] = lambda: self.ask(partition)
        outbox.wrote(self.acked_for(partition), ask)

    def acked_for(self, partition: int) -> asyncio.Future[None]:
        """Done once the next flush of ``partition`` is on the broker."""
        acked = self.acked.get(partition)
        if acked is None:
            acked = self.acked[partition] = asyncio.get_running_loop().create_future()
            acked.add_done_callback(futures.retrieved)
        return acked

    def ask(self, partition: int) -> None:
        self.asked.add(partition)
        _flush_soon()

    def _del(self, key: bytes) -> None:
        self._set(key, None)

    def _held(self, key: bytes) -> tuple[bool, bytes | None]:
        """``(True, value)`` when the cache holds ``key`` (value None: deleted)."""
        partition = self._event_partition()
        if partition is not None:  # an agent reads its own partition, as Faust's store does
            keys = self.dirty.get(partition)
            if keys is None or key not in keys:
                return False, None
            self._waited_for(partition)
            return True, keys[key]
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
        key; the records sent. A failure keeps the partition's writes, fails its waiting events
        and is kept in ``failed_sends`` (the commit refuses to pass it)."""
        sent = 0
        for partition in [p for p in self.dirty if partitions is None or p in partitions]:
            keys = self.dirty[partition]
            try:
                batch = WriteBatch(raw_mode=True)
                for key, value in keys.items():
                    if value is None:
                        batch.delete(key)
                    else:
                        batch.put(key, value)
                self._db_for_partition(partition).write(batch)
                landed = self.table.send_flush(partition, list(keys.items()))  # type: ignore[attr-defined]
            except Exception as exc:  # kept (with its writes): the next commit stops the worker
                log.exception("%s/%d: flush failed", self.table.name, partition)
                failed_sends.append(f"flush of {self.table.name}/{partition}: {exc!r}")
                if (acked := self.acked.pop(partition, None)) is not None:
                    acked.set_exception(exc)
                continue
            if (acked := self.acked.pop(partition, None)) is not None:
                futures.all_of([landed] if isinstance(landed, asyncio.Future) else [], acked)
            if isinstance(landed, asyncio.Future):
                self.landing[partition] = landed
            del self.dirty[partition]
            sent += len(keys)
            _bound["held"] -= len(keys)
        self.flushed += sent
        return sent

    def drop(self, partitions: set[int], why: str) -> None:
        """Forget ``partitions``' writes: made after their drain, by records not committed."""
        dropped = sum(len(self.dirty.pop(p, {})) for p in partitions)
        self.gone |= partitions
        for p in partitions:
            if (acked := self.acked.pop(p, None)) is not None:
                acked.set_exception(futures.Dropped(f"{self.table.name}/{p}: {why}"))
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
        """A partition kept as a standby is not revoked, yet no longer written here: gone, as one
        revoked (a handler still running after the drain must not write into the standby's copy
        and its changelog; a flush acked after this must not move its persisted offset)."""
        await super().on_rebalance(assigned, revoked, newly_assigned, generation_id)
        topic = self.table.changelog_topic.get_topic_name()
        active = {tp.partition for tp in self.app.assignor.assigned_actives() if tp.topic == topic}
        self.drop(set(self.dirty) - active, "partition no longer active here")
        count = getattr(self.table, "partitions", None) or self.app.conf.topic_partitions
        self.gone = (self.gone | set(range(count)) | set(self._dbs)) - active
