"""In offset order or not at all: what Faust's fetch loop hands the agents, checked per partition.

The domain decides each partition's records in offset order and takes a record at or below the
last one applied for a repeat (``domain.inventory.reserve``). Faust's fetch loop breaks that
order in two ways (cause 11 in ``docs/liveness.md``):

- After a rebalance, Faust resumes the stream partitions **before** it seeks them back to their
  committed offsets (``Recovery.on_recovery_completed``). Records fetched from the old position in
  between reach the agents and can be handled; the records before them come only after the seek.
- A record whose delivery is cancelled (the flow stopped mid-delivery) or that is left in a
  fetched batch (the flow stopped, the generation changed) is lost behind the client's position,
  while the records after it can still be delivered.

So every input partition here is delivered from a position this consumer knows: the offset it
was last sought to (Faust's seek after a rebalance, a rewind), then one past the last record
delivered in full. Records of a partition not sought since its assignment are held back (its
seek is coming) and fetched again once it has come: the client seeks one partition per round
trip while the fetch goes on, so records of a partition already sought can be fetched and held
back here before the seek returns, the client's position then past them (cause 12). A record
past the expected offset is held back too, and the partition is sought back to the expected
offset, unless the flow stopped for a rebalance or a rewind, whose seeks cover it. If the first
records fetched after that seek still begin past it, the broker has nothing in between
(retention): delivery goes on from there, with a health line. Changelog partitions are not
checked: compaction leaves holes in them."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from typing import Any

from aiokafka import TopicPartition
from aiokafka.errors import KafkaError
from faust.types import TP, Message

from app.observability.logs import health
from app.runtime import standby
from app.runtime.eager import EagerConsumer

log = logging.getLogger(__name__)


class OrderedConsumer(EagerConsumer):
    """Faust's consumer that delivers each input partition in offset order, from its seek on."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._next: dict[TP, int] = {}  # per input partition: the next offset to deliver
        self._refetched: dict[TP, int] = {}  # the batch a partition was fetched again in
        self._batch = 0
        self._epoch = 0  # assignments seen: a seek begun before the last one sets nothing
        self._last_fetch: dict[TP, int] = {}  # per partition: the last offset the batch fetched
        self._fetch_task: asyncio.Task[Any] | None = None  # the task running the fetch loop
        self._owed: set[TP] = set()  # fetched, not delivered, not fetched again yet (flow stopped)
        self._unsought: set[TP] = set()  # records held back before its seek's offsets were known
        self.callback = self._recording(self.callback)

    def _inputs(self) -> list[TP]:
        changelogs = self.app.tables.changelog_topics
        return [tp for tp in self.assignment() if tp.topic not in changelogs]

    def _recording(
        self, deliver: Callable[[Message], Awaitable[None]]
    ) -> Callable[[Message], Awaitable[None]]:
        async def delivered(message: Message) -> None:
            await deliver(message)  # cancelled here: not delivered, the next record is held back
            if message.tp in self._next:
                self._next[message.tp] = message.offset + 1

        return delivered

    def _expect(self, offsets: Mapping[TP, int], epoch: int) -> None:
        """Partitions sought: delivery resumes at these offsets, unless the seek began before
        the last assignment (that one's own seek is coming)."""
        if epoch == self._epoch:
            self._next.update(offsets)
            # Records held back while this seek was under way may have been fetched after it
            # (the client seeks one partition per round trip, and the fetch goes on meanwhile):
            # behind the client's position, they come again only if fetched again.
            held = offsets.keys() & self._unsought
            self._owed = (self._owed - offsets.keys()) | held
            self._unsought -= offsets.keys()

    async def _seek_to(self, offsets: Mapping[TP, int]) -> None:
        """Seek to offsets (the driver resets Faust's read offsets: records from there on come
        again). Not the client's ``seek_to_beginning``: that leaves the position unset until a
        reset request returns, and Faust's livelock detector, reading it meanwhile, crashed the
        worker on aiokafka's assertion (once in CI)."""
        epoch = self._epoch
        await self._thread.seek_wait({TopicPartition(*tp): o for tp, o in offsets.items()})
        self._expect(offsets, epoch)

    async def perform_seek(self) -> None:
        epoch = self._epoch
        await super().perform_seek()
        committed = self._committed_offset
        expected = {tp: o for tp in self._inputs() if (o := committed.get(tp)) is not None}
        self._expect(expected, epoch)

    def fetch_loops_seek(self) -> bool:
        """Whether a seek asked for now is the fetch loop's: Faust's fetch loop seeks every
        partition back to its committed offset whenever a fetch returns while the flow is
        stopped, concurrently with the recovery's own seek, and whichever landed second made the
        records delivered after the first come again (34 to 75 in ``make faults``' SIGTERM
        scenario). That seek is not needed here: every stop of the flow is followed by a seek of
        its own (a rebalance's recovery, a rewind), and what a stopped flow dropped after one is
        behind the expected offset, fetched again by ``getmany`` once the flow runs."""
        task = asyncio.current_task()
        return task is not None and task is self._fetch_task

    def _reassigned(self) -> None:
        self._epoch += 1
        self._next.clear()  # each partition waits for its seek after this rebalance's recovery
        self._refetched.clear()
        self._owed.clear()
        self._unsought.clear()

    async def on_partitions_assigned(self, assigned: set[TP], generation_id: int = 0) -> None:
        self._reassigned()
        await super().on_partitions_assigned(assigned, generation_id)

    async def on_partitions_revoked(self, revoked: set[TP]) -> None:
        self._reassigned()
        await super().on_partitions_revoked(revoked)

    async def _getmany(self, active_partitions: set[TP] | None, timeout: float) -> Any:
        generation, flowing = self.app.consumer_generation_id, self.flow_active
        fetched = await super()._getmany(active_partitions, timeout)
        current = flowing and self.flow_active and generation == self.app.consumer_generation_id
        records, behind = standby.written(self.app, fetched, current)  # in its table now
        if behind:  # a batch not written: fetched again
            try:
                await self._thread.seek_wait({TopicPartition(*tp): o for tp, o in behind.items()})
            except Exception as exc:  # reassigned meanwhile: its recovery seeks it
                log.warning("standby partitions not sought back: %r", exc)
        return records

    async def _wait_next_records(self, timeout: float) -> Any:
        records, active = await super()._wait_next_records(timeout)
        self._last_fetch = {tp: rs[-1].offset for tp, rs in (records or {}).items() if rs}
        return records, active

    def _fetched(self, timeout: float) -> AsyncIterator[tuple[TP, Message]]:
        return super().getmany(timeout)

    async def getmany(self, timeout: float) -> AsyncIterator[tuple[TP, Message]]:
        self._fetch_task = asyncio.current_task()
        self._batch += 1
        batch, held = self._batch, set[TP]()
        changelogs = self.app.tables.changelog_topics
        async for tp, message in self._fetched(timeout):
            if (
                self.app.client_only
                or tp.topic in changelogs
                or self._deliverable(tp, message.offset, batch, held)
            ):
                yield tp, message
        # Every record delivered has been handed on by now. What was fetched and not delivered
        # (held back, cancelled, left in the batch, of a partition Faust did not take records
        # of) is behind the client's position: fetch it again.
        fetched = self._last_fetch  # a partition fetched again: the check below decides
        missing = {tp: self._next[tp] for tp in self._owed - fetched.keys() if tp in self._next}
        self._owed -= fetched.keys()
        for tp, last in fetched.items():
            expected = self._next.get(tp)
            if expected is not None and expected <= last:
                missing[tp] = expected
        if missing:
            await self._refetch(missing, batch)

    def _deliverable(self, tp: TP, offset: int, batch: int, held: set[TP]) -> bool:
        expected = self._next.get(tp)
        if expected is None:
            self._unsought.add(tp)
            return False  # not sought since its assignment: its seek is coming (``_expect``)
        if tp in held:
            return False  # already held back in this batch
        if offset < expected:
            return False  # fetched before a seek forward: delivered already, or committed
        refetched = self._refetched.pop(tp, None)
        if offset == expected:
            return True
        if refetched is not None and refetched < batch:
            health("offsets_absent", topic=tp.topic, partition=tp.partition,
                   expected=expected, first=offset)  # fmt: skip
            return True  # the first records fetched after its seek: the broker has none between
        held.add(tp)
        return False

    async def _refetch(self, missing: dict[TP, int], batch: int) -> None:
        """Seek partitions back to the record they are missing, unless the flow stopped: a
        rebalance (its recovery seeks every partition) or a rewind (it seeks every input). The
        fetch loop waits for this seek, so the next batch holds only records fetched after it:
        if those begin past the offset sought, the broker has none between (retention). Other
        tasks' seeks give no such certainty (the client's thread can fetch meanwhile)."""
        if not self.flow_active or self.app.rebalancing:
            self._owed |= missing.keys()  # once the flow runs again, unless a seek comes first
            return
        assigned = self.assignment()
        missing = {tp: o for tp, o in missing.items() if tp in assigned}
        if not missing:
            return
        health("records_refetched", partitions={f"{tp.topic}/{tp.partition}": o
                                                for tp, o in missing.items()})  # fmt: skip
        try:
            await self._seek_to(missing)
        except (TimeoutError, KafkaError) as exc:  # reassigned meanwhile: its seek comes
            log.warning("fetching again failed (the next batch tries again): %r", exc)
            self._owed |= missing.keys()
            return
        for tp in missing:
            self._refetched[tp] = batch
