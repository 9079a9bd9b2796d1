"""The flow into the agents' queues: resumed without clearing, and stopped with a catch-up.

**Resumed without clearing.** mode clears every queue whenever the flow is resumed, and Faust's
recovery resumes it twice: once to read the standby partitions, then again when it completes.
The second cleared the standby records fetched in between, and nothing seeks those partitions
back: a standby table lacked them for good, and once it became the active one, the keys they
held were on no worker (cause 10 in ``docs/liveness.md``: a stock level that was nowhere). It also
cleared records the agents had been given after their partitions' seek. Everything queued while
the flow runs arrived in order, after its partition's seek (``OrderedConsumer`` holds the records
fetched before it back); a resume after a suspension (a rebalance) still clears every queue.

**Stopped with a catch-up.** A record is committed once every agent reading its topic acked it.
``orders.events`` had three readers per worker (the tracker, the saga, the by-user forward; one
since ``agents.order_events``), and any topic may have more than one. Each takes what waits in
its own queue in batches (``app.runtime.batches``), so one can be a batch or more ahead of
another. Faust clears every queue when the flow stops (a rebalance, a
stop): what the slower reader had not reached was not committed, and the next owner handled it
again, a second time for the faster readers (measured: 182 records in ``make faults``' SIGTERM
scenario). So the ``Frontier`` keeps, per input partition, the last offset any reader took. While
the flow is stopped a reader takes only records at or below it (records another reader already
took); a clear keeps those in the readers' queues; the drain (``durability.drain_and_commit``)
waits until nothing is in flight and no reader is ``behind``, then ``close`` empties the queues
and nothing more is taken until the flow resumes, which starts a new frontier."""

from __future__ import annotations

from typing import Any

from faust.types import TP
from mode.utils.queues import FlowControlEvent


class Frontier:
    """Per input partition, the last offset any reader (a ``batches`` loop) took since the flow
    last resumed. Not reset by a rewind: a lagging reader must still reach what a faster one
    handled before it (the rewound records come again after it, below the frontier: taken, in
    a catch-up, by every reader, which only adds to the drain)."""

    def __init__(self) -> None:
        self.offsets: dict[TP, int] = {}
        self.readers: set[Any] = set()  # the queues of the running ``batches`` loops
        self.closed = False  # a drain ended: nothing more is taken until the flow resumes

    def took(self, tp: TP, offset: int, flowing: bool) -> bool:
        """Whether a reader takes this record now: while the flow runs, always (the frontier
        moves); while it is stopped, only at or below the frontier; never once the drain closed
        the generation."""
        if self.closed:
            return False
        last = self.offsets.get(tp, -1)
        if flowing:
            if offset > last:
                self.offsets[tp] = offset
            return True
        return not self.closed and offset <= last

    def keep(self, queue: Any) -> None:
        """A reader's queue when the flow stops: only what some reader took stays in it."""
        offsets = self.offsets
        kept = [e for e in queue._queue if e.message.offset <= offsets.get(e.message.tp, -1)]
        queue._queue.clear()
        queue._queue.extend(kept)
        queue._errors.clear()  # as Faust's clear; a put waiting for room in a full queue is kept:
        # its record may be one another reader took (``close`` cancels what is left)

    def behind(self, generation: int) -> int:
        """How many records of this generation that a reader took still wait in another's
        queue (after ``keep``, the readers' queues hold nothing else: a short scan)."""
        offsets = self.offsets
        return sum(
            1
            for queue in self.readers
            for event in queue._queue
            if event.message.generation_id == generation
            and event.message.offset <= offsets.get(event.message.tp, -1)
        )

    def close(self) -> None:
        """The drain is over: the readers' queues are emptied, nothing more is taken."""
        self.closed = True
        for queue in self.readers:
            queue.clear()

    def reset(self) -> None:
        self.offsets.clear()
        self.closed = False


class FlowControl(FlowControlEvent):
    """Faust's flow control into the agents' and the tables' queues, except that resuming a flow
    that is already flowing clears nothing, and clearing a stopped flow keeps in the readers'
    queues what another reader already took (the module's docstring says why)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.frontier = Frontier()

    def resume(self) -> None:
        if not self.is_active():
            self.frontier.reset()
            super().resume()  # clears every queue, the flow already running

    def clear(self) -> None:
        readers = set() if self.is_active() else self.frontier.readers
        for queue in self._queues:
            if queue in readers:
                self.frontier.keep(queue)
            else:
                queue.clear()
