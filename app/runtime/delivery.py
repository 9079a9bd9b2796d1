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
seek is coming). A record past the expected offset is held back too, and the partition is
sought back to the expected offset, unless the flow stopped for a rebalance or a rewind, whose
seeks cover it. If the first records fetched after such a seek still begin past it, the broker
has nothing in between (retention): delivery goes on from there, with a health line.
Changelog partitions are not checked: compaction leaves holes in them."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from typing import Any

from aiokafka import TopicPartition
from faust.transport.drivers import aiokafka as faust_kafka
from faust.types import TP, Message
from mode.utils.queues import FlowControlEvent

from app.observability.logs import health

log = logging.getLogger(__name__)


class OrderedConsumer(faust_kafka.Consumer):
    """Faust's consumer that delivers each input partition in offset order, from its seek on."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._next: dict[TP, int] = {}  # per input partition: the next offset to deliver
        self._sought_in: dict[TP, int] = {}  # the batch a partition was sought in, until it yields
        self._batch = 0
        self._last_fetch: dict[TP, int] = {}  # per partition: the last offset the batch fetched
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

    def _expect(self, offsets: Mapping[TP, int]) -> None:
        """Partitions just sought: delivery resumes at these offsets."""
        for tp, offset in offsets.items():
            self._next[tp] = offset
            self._sought_in[tp] = self._batch

    async def _seek_to(self, offsets: Mapping[TP, int]) -> None:
        """Seek to offsets (the driver resets Faust's read offsets: records from there on come
        again). Not the client's ``seek_to_beginning``: that leaves the position unset until a
        reset request returns, and Faust's livelock detector, reading it meanwhile, crashed the
        worker on aiokafka's assertion (once in CI)."""
        await self._thread.seek_wait({TopicPartition(*tp): o for tp, o in offsets.items()})
        self._expect(offsets)

    async def perform_seek(self) -> None:
        await super().perform_seek()
        committed = self._committed_offset
        self._expect({tp: o for tp in self._inputs() if (o := committed.get(tp)) is not None})

    async def on_partitions_assigned(self, assigned: set[TP], generation_id: int = 0) -> None:
        self._next.clear()  # each partition waits for its seek after this rebalance's recovery
        self._sought_in.clear()
        await super().on_partitions_assigned(assigned, generation_id)

    async def on_partitions_revoked(self, revoked: set[TP]) -> None:
        self._next.clear()
        self._sought_in.clear()
        await super().on_partitions_revoked(revoked)

    async def _wait_next_records(self, timeout: float) -> Any:
        records, active = await super()._wait_next_records(timeout)
        self._last_fetch = {tp: rs[-1].offset for tp, rs in (records or {}).items() if rs}
        return records, active

    def _fetched(self, timeout: float) -> AsyncIterator[tuple[TP, Message]]:
        return super().getmany(timeout)

    async def getmany(self, timeout: float) -> AsyncIterator[tuple[TP, Message]]:
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
        # of) is behind the client's position: fetch it again, unless a seek made meanwhile
        # brings it.
        missing = {}
        for tp, last in self._last_fetch.items():
            expected = self._next.get(tp)
            if expected is not None and expected <= last and self._sought_in.get(tp) != batch:
                missing[tp] = expected
        if missing:
            await self._refetch(missing)

    def _deliverable(self, tp: TP, offset: int, batch: int, held: set[TP]) -> bool:
        expected = self._next.get(tp)
        if expected is None or tp in held:
            return False  # not sought since its assignment, or already held back in this batch
        if offset < expected:
            return False  # fetched before a seek forward: delivered already, or committed
        sought_in = self._sought_in.pop(tp, None)
        if offset == expected:
            return True
        if sought_in is not None and sought_in < batch:
            health("offsets_absent", topic=tp.topic, partition=tp.partition,
                   expected=expected, first=offset)  # fmt: skip
            return True  # the first records fetched after its seek: the broker has none between
        if sought_in is not None:
            self._sought_in[tp] = sought_in  # fetched before its seek: the seek brings them again
        held.add(tp)
        return False

    async def _refetch(self, missing: dict[TP, int]) -> None:
        """Seek partitions back to the record they are missing, unless the flow stopped: a
        rebalance (its recovery seeks every partition) or a rewind (it seeks every input)."""
        if not self.flow_active or self.app.rebalancing:
            return
        assigned = self.assignment()
        missing = {tp: o for tp, o in missing.items() if tp in assigned}
        if missing:
            health("records_refetched", partitions={f"{tp.topic}/{tp.partition}": o
                                                    for tp, o in missing.items()})  # fmt: skip
            await self._seek_to(missing)


class FlowControl(FlowControlEvent):
    """Faust's flow control into the agents' and the tables' queues, except that resuming a flow
    that is already flowing keeps the changelog queue.

    Faust clears every queue whenever it resumes the flow, and its recovery resumes it twice:
    once to read the standby partitions, then again when it completes. The second clears the
    standby records fetched in between, and nothing seeks those partitions back: a standby
    table lacked them for good, and once it became the active one, the keys they held were on
    no worker (cause 10 in ``docs/liveness.md``: a stock level that was nowhere). The agents'
    queues are still cleared: the records there were fetched before the stream partitions'
    seek, which brings them again."""

    def __init__(self, changelog_queue: Callable[[], object], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._changelog_queue = changelog_queue

    def resume(self) -> None:
        keep = self._changelog_queue() if self.is_active() else None
        self._suspend.clear()
        self._resume.set()
        for queue in self._queues:
            if queue is not keep:
                queue.clear()
