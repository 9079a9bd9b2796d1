"""No commit past a record never handled: Faust's consumer, rewound when records were skipped.

Faust's fetch loop can drop records it already took from the client: around a rebalance (the
generation changed, the flow stopped mid-batch, a recovery overtaken by the next one), and
whenever the flow stops in the middle of a fetched batch. The client's position has moved past
them, so they do not come again by themselves. Faust's commit then trusts what follows:

- a partition **never committed** commits from whatever was acknowledged first (cause 7 in
  ``docs/liveness.md``: 75 orders never placed);
- a **hole of one record** after the committed offset is let through (Faust allows one for a
  transaction marker's offset; no topic here has any): that record is lost without a trace;
- a longer hole **stalls** the partition (cause 9: no commit for 67 s, until the watchdog);
- a hole **after** handled records becomes a *gap* (``Consumer._add_gap``), which the commit
  counts as handled: records committed past, never handled.

So here the acknowledged offsets must begin at the committed offset (at the first record, if
never committed), with no gap: these topics are neither compacted nor transactional, and the only
legitimate hole, records deleted by retention before the committed offset, is recognised when
rewinding. Otherwise the partition does not commit and the worker rewinds: with the fetch loop
stopped, **every** input partition goes back to its committed offset (a stopped flow drops the
rest of a batch on any partition), and every standby changelog partition to the last record its
recovery took (nothing else would fetch the standby records that batch held). Records after it
come again, which the handlers absorb.
During a rebalance nothing is rewound: the partition does not commit, its next owner starts
from the committed offset."""

from __future__ import annotations

import asyncio
import logging
from typing import Any, cast

from aiokafka import TopicPartition
from faust.tables import TableManager
from faust.types import TP

from app.observability.logs import health
from app.runtime.delivery import OrderedConsumer

log = logging.getLogger(__name__)


class RewindingConsumer(OrderedConsumer):
    """Faust's consumer that refuses to commit past skipped records, and rewinds to them."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._log_start: dict[TP, int] = {}  # first offsets of never-committed partitions
        self._rewinding: asyncio.Future[None] | None = None

    async def perform_seek(self) -> None:
        """After a rebalance's recovery Faust seeks every partition back to its committed
        offset. A partition never committed has none and was not sought at all: what was dropped
        there stayed behind the client's position for good (cause 2: 69 ``users.events``
        records). Those go back to their first record, where ``auto_offset_reset=earliest``
        starts a partition anyway. The fetch loop's own seek back is not made
        (``fetch_loops_seek``)."""
        if self.fetch_loops_seek():
            log.debug("the fetch loop's seek back to the committed offsets: not made")
            return
        await super().perform_seek()
        committed = self._committed_offset
        never = [tp for tp in self._inputs() if committed.get(tp) is None]
        if never:
            starts = await self._starts(never)
            self._log_start.update(starts)
            await self._seek_to(starts)
            log.info("from their first record: %s", ", ".join(f"{t}/{p}" for t, p in never))

    async def _starts(self, tps: list[TP]) -> dict[TP, int]:
        return {TP(*tp): offset or 0 for tp, offset in (await self.earliest_offsets(*tps)).items()}

    def _skipped(self, tp: TP) -> bool:
        """Records skipped on ``tp``: a hole at the committed offset (or first record), or a gap."""
        committed = self._committed_offset[tp]
        first = committed if committed is not None else self._log_start.get(tp)
        if first is None or tp.topic in self.app.tables.changelog_topics:
            return False
        return bool(self._gap[tp]) or min(self._acked[tp]) > first

    def _new_offset(self, tp: TP) -> int | None:
        """Faust's offset to commit, unless records were skipped: then none, and a rewind."""
        if self._acked[tp] and self._skipped(tp):
            health("skipped_records", topic=tp.topic, partition=tp.partition,
                   firstAcknowledged=min(self._acked[tp]), committed=self._committed_offset[tp],
                   gaps=len(self._gap[tp]), rebalancing=self.app.rebalancing)  # fmt: skip
            self._acked[tp].clear()
            self._acked_index[tp].clear()
            self._gap[tp].clear()
            if not self.app.rebalancing and self._rewinding is None:
                self._rewinding = asyncio.ensure_future(self._rewind())
                self._rewinding.add_done_callback(self._rewound)
            return None
        result: int | None = super()._new_offset(tp)
        return result

    def _rewound(self, fut: asyncio.Future[None]) -> None:
        self._rewinding = None
        if not fut.cancelled() and (exc := fut.exception()) is not None:
            log.error("rewind failed (no commit past the records; the watchdog sees it): %r", exc)

    async def _rewind(self) -> None:
        """Every input partition back to its committed offset (first record if never
        committed), with the fetch loop stopped; its flow resumes unless a rebalance began
        meanwhile (its recovery seeks and resumes then). A committed offset that retention has
        deleted past moves to the first record: nothing below it can be handled any more."""
        generation, was_active = self.app.consumer_generation_id, self.flow_active
        self.stop_flow()
        try:
            tps = self._inputs()
            starts = await self._starts(tps)
            if self.app.rebalancing or generation != self.app.consumer_generation_id:
                return
            targets = {}
            for tp in tps:
                start, committed = starts.get(tp, 0), self._committed_offset.get(tp)
                if committed is None:
                    self._log_start[tp] = start
                elif start > committed:
                    self._committed_offset[tp] = committed = start
                targets[tp] = start if committed is None else committed
                self._gap[tp].clear()
            await self._seek_to(targets)
            await self._standbys_back()
            log.warning("rewound %d partitions to their committed offsets", len(targets))
        finally:
            if was_active and not self.app.rebalancing:
                self.resume_flow()

    async def _standbys_back(self) -> None:
        """The stopped fetch loop dropped the rest of its batch, standby changelog records too,
        and no rebalance's recovery will seek them back: each standby partition goes back to
        the last record the recovery took (it skips what it has already: ``offset > seen``)."""
        recovery = cast(TableManager, self.app.tables).recovery
        offsets = {tp: max(recovery.standby_offsets.get(tp) or 0, 0) for tp in recovery.standby_tps}
        if offsets:
            await self._thread.seek_wait({TopicPartition(*tp): o for tp, o in offsets.items()})

    async def on_partitions_revoked(self, revoked: set[TP]) -> None:
        for tp in revoked:
            self._log_start.pop(tp, None)
        await super().on_partitions_revoked(revoked)
