"""A standby partition's changelog records written where they are fetched (issue 16, direction 5).

Faust hands every changelog record it fetches to its conductor, one at a time: a ``Message``, an
``Event``, a put into the tables' changelog queue, a timed ``get`` in ``Recovery._slurp_changelogs``
(a task each), which buffers a standby partition's records and writes them to RocksDB a thousand
at a time. With two workers every table write reaches the other worker so, and the standbys were
13 % of both workers' CPU in ``make bench`` (docs/performance.md).

Here the records of a standby partition are taken out of the fetched batch before Faust's fetch
loop sees them and written as one RocksDB batch per partition, with the partition's persisted
offset; the recovery's standby offset moves to the last one. The recovery's rules still hold:
records come in offset order from the client's position, which only a seek moves (a rebalance's
recovery, a rewind's ``_standbys_back``) and only back to the last record written; a record at or
below that offset is skipped. What Faust's own path buffered for the table is written first, so
an older value never lands over a newer one. A batch that cannot be written (a store not open
yet) is not handed to Faust's path, whose queue a later batch written here would overtake (its
records then skipped as old, for good): the partition is sought back to its last record written
instead. Records of a partition whose recovery has not begun (no offset yet) are dropped: its
seek is coming. Active partitions being restored keep Faust's path: its recovery counts their
records to decide when a restore is done.

Only a fetch that began and ended in one generation, with the flow running, is written. One that
spans a rebalance or a stop of the flow may hold records from a position that was not the last
record written: a partition restored here as an active one took records into Faust's changelog
queue, which the rebalance cleared unread, and its next records, fetched from the old position,
would be written over that gap once it became a standby, the standby offset then past records
never written (what ``make faults`` found in stop 32: a stock level that lost a release when the
standby took over). Such a fetch writes nothing: its standby partitions are sought back to their
last record written, which the recovery's own seek repeats."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from faust.types import TP

log = logging.getLogger(__name__)


class Change:
    """A fetched changelog record as Faust's ``Store.apply_changelog_batch`` reads an event."""

    __slots__ = ("key", "offset", "partition", "tp", "value")

    def __init__(self, tp: TP, record: Any) -> None:
        self.tp, self.offset, self.partition = tp, record.offset, tp.partition
        self.key, self.value = record.key, record.value

    @property
    def message(self) -> Change:
        return self


def written(
    app: Any, records: Mapping[Any, list[Any]] | None, current: bool = True
) -> tuple[Mapping[Any, list[Any]] | None, dict[TP, int]]:
    """Write the records of standby partitions to their tables (only if ``current``: fetched in
    this generation, the flow running). The rest, for Faust's loop, and the standby partitions
    to seek back to their last record written (a batch that failed, a fetch not current)."""
    if app.client_only or not records:
        return records, {}
    recovery = app.tables.recovery
    standbys = recovery.standby_tps
    if not standbys or standbys.isdisjoint(records):
        return records, {}
    rest: dict[Any, list[Any]] = {}
    behind: dict[TP, int] = {}
    for tp, batch in records.items():
        table = recovery.tp_to_table.get(tp) if tp in standbys and batch else None
        if table is None or table._on_changelog_event is not None:  # (a callback: Faust's)
            rest[tp] = batch
        elif (failed := _write(recovery, TP(*tp), batch, current)) is not None:
            behind[TP(*tp)] = failed
    if not recovery.tables.standbys_ready and not recovery.standby_remaining_total():
        recovery.tables.on_standbys_ready()
    return rest, behind


def _write(recovery: Any, tp: TP, batch: list[Any], current: bool) -> int | None:
    """Write what is new in the batch; None, or the offset to seek back to if not written."""
    table = recovery.tp_to_table[tp]
    seen: int | None = recovery.standby_offsets.get(tp)
    if seen is None:
        return None  # its recovery has not begun: its seek is coming
    if not current:
        return max(seen, 0)
    fresh = [Change(tp, r) for r in batch if r.offset > seen]
    if not fresh:
        return None
    try:
        if any(recovery.buffers.values()):
            recovery.flush_buffers()  # Faust's path took older records of this table: first
        table.apply_changelog_batch(fresh)
    except Exception:
        log.exception("standby %s/%d: writing %d records failed (fetched again from %d)",
                      tp.topic, tp.partition, len(fresh), max(seen, 0))  # fmt: skip
        return max(seen, 0)
    recovery.standby_offsets[tp] = fresh[-1].offset
    return None
