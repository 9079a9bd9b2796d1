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

import logging
from collections.abc import Iterator
from typing import Any

from faust.stores import rocksdb
from faust.streams import current_event
from faust.types import TP, CollectionT, StoreT
from rocksdict import WriteBatch
from yarl import URL

from app.runtime.tables import CheckedTable

log = logging.getLogger(__name__)

_stores: list[CachedStore] = []
failed_flushes: list[str] = []  # flushes that failed: the commit must not pass them
_bound = {"limit": 10_000, "held": 0}  # keys held in every cache together, and the most allowed


def configure(max_records: int) -> None:
    """Flush every table once this many keys are held, all tables together."""
    _bound["limit"] = max_records


def held() -> int:
    """Keys held in every cache, not yet flushed."""
    return _bound["held"]


def flush_all() -> int:
    """Flush every table's cache; the number of changelog records sent."""
    return sum(store.flush() for store in _stores)


class CachedStore(rocksdb.Store):
    """Faust's RocksDB store with its writes held per partition until ``flush``."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.use_rocksdict:
            raise RuntimeError("the record cache writes rocksdict batches; python-rocksdb is not")
        self.dirty: dict[int, dict[bytes, bytes | None]] = {}  # partition -> key -> value/None
        self.flushed = 0  # changelog records sent by flushes, for the benchmark
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

    def flush(self) -> int:
        """One RocksDB batch per partition, then one changelog record per key; the records sent.
        A partition leaves the cache only once both are done; a failure is kept in
        ``failed_flushes`` (the commit refuses to pass it, as it does a failed send)."""
        sent = 0
        for partition in list(self.dirty):
            keys = self.dirty[partition]
            try:
                batch = WriteBatch(raw_mode=True)
                for key, value in keys.items():
                    if value is None:
                        batch.delete(key)
                    else:
                        batch.put(key, value)
                self._db_for_partition(partition).write(batch)
                for key, value in keys.items():
                    self.table.send_changelog(
                        partition, key, value, key_serializer="raw", value_serializer="raw"
                    )
            except Exception as exc:
                failed_flushes.append(f"{self.table.name}/{partition}: {exc!r}")
                raise
            del self.dirty[partition]
            sent += len(keys)
            _bound["held"] -= len(keys)
        self.flushed += sent
        return sent

    def drop(self, partitions: set[int], why: str) -> None:
        """Forget what the cache holds for ``partitions``: writes of records not committed (the
        next owner handles them again), made after the partitions' drain."""
        dropped = sum(len(self.dirty.pop(p, {})) for p in partitions)
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


class CachedTable(CheckedTable):
    """Faust's table on a ``CachedStore``: no changelog record per write (the flush sends them).
    On any other store (the unit tests' ``memory://``) it is Faust's table as it is."""

    def _new_store_by_url(self, url: Any) -> StoreT[Any, Any]:
        if URL(url).scheme != "rocksdb":
            return super()._new_store_by_url(url)
        return CachedStore(
            url,
            self.app,
            self,
            table_name=self.name,
            key_type=self.key_type,
            key_serializer=self.key_serializer,
            value_serializer=self.value_serializer,
            value_type=self.value_type,
            loop=self.loop,
            options=self.options,
        )

    def using_window(self, *args: Any, **kwargs: Any) -> Any:
        raise TypeError("a windowed table expires keys outside of a record: not cached")

    def on_key_set(self, key: Any, value: Any) -> None:
        if isinstance(self.data, CachedStore):
            self.partition_for_key(key)  # Faust's checks (source and changelog partitions)
            self._sensor_on_set(self, key, value)
        else:
            super().on_key_set(key, value)

    def on_key_del(self, key: Any) -> None:
        if isinstance(self.data, CachedStore):
            self.partition_for_key(key)
            self._sensor_on_del(self, key)
        else:
            super().on_key_del(key)
