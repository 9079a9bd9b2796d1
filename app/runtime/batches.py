"""An agent's records in batches of what is already waiting (issue 16, direction 2).

Faust's stream hands an agent one record per turn of the event loop: its iterator sleeps once
per record (``asyncio.sleep(0)``), takes the record from the channel's queue, runs the sensors
and processors, yields it, and acks it. ``take_events(n, within)`` batches, but on a timer: an
idle agent wakes every ``within``, and a record waits up to ``within`` for company.

``batches(stream)`` takes the first record when it comes and, with it, every record already in
the queue (up to ``limit``): under load the batches grow with the backlog, idle they cost
nothing and add no wait. Per record it does what Faust's iterator does (the flow's generation
check, tracking for the commit, the sensors, the stream's processors, the filters among them);
the records are acked once the caller has handled the whole batch, in order, after the loop
over it: not one offset committed past a record still in hand. Iterating a batch makes each
record, in turn, Faust's ``current_event()`` (tables write to its partition).

A batch's records count as in flight (``app.runtime.inflight``) from when they are taken until
they are acked, so a drain waits for them; while the flow is stopped a batch takes only what
another reader of the topic already took, and goes on to its end (``app.runtime.flow``: the
readers of a topic leave a generation at the same offset)."""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import AsyncGenerator, Iterator, Sequence
from typing import Any

import faust
from faust.exceptions import Skip
from faust.streams import _current_event
from mode.utils.futures import maybe_async

from app.runtime.flow import FlowControl, Frontier
from app.runtime.inflight import in_flight

# Records a batch takes at most: the agent runs them without giving other tasks a turn (the
# HTTP answers, the producer's sender, the flushes), so a few dozen, not hundreds.
BATCH = 32

Taken = tuple[faust.EventT[Any], Any, bool]  # a record taken: (event, sensor state, kept)


class Batch:
    """The records of one batch. Iterating sets each one, in turn, as ``current_event()``, and
    stops early once the generation is over (the drain ended, or a new generation began): the
    rest are not handled and not acked (the next owner, or this worker after its seek, takes
    them from the committed offset). A flow stopped for a rebalance or a stop does not stop it:
    the drain waits for every reader to handle what any of them took."""

    __slots__ = ("_frontier", "_order", "_stream", "acked", "events", "taken")

    def __init__(
        self,
        stream: faust.Stream[Any],
        frontier: Frontier,
        events: list[faust.EventT[Any]],
        order: list[Taken],
    ) -> None:
        self._stream = stream
        self._frontier = frontier
        self.events = events
        self._order = order  # every record taken, in offset order, the filtered ones too
        self.taken = 0  # records handed out: acked once the caller asks for the next batch
        self.acked = False

    def __len__(self) -> int:
        return len(self.events)

    def __iter__(self) -> Iterator[faust.EventT[Any]]:
        stream = self._stream
        app, frontier = stream.app, self._frontier
        for event in self.events:
            if frontier.closed or event.message.generation_id != app.consumer_generation_id:
                break
            _current_event.set(weakref.ref(event))
            stream.current_event = event
            self.taken += 1
            yield event
        stream.current_event = None

    def ack(self) -> None:
        """Ack in offset order, up to the first record not handled: those handed out, and those
        a filter skipped among them (once; ``batches`` calls it when the next batch is asked
        for, never when the caller left by an exception: a record it did not finish is not
        committed, where Faust's own iterator acks it whatever its loop raised, #315)."""
        if self.acked:
            return
        self.acked = True
        handled = self.taken
        for event, state, kept in self._order:
            if kept:
                if not handled:
                    break  # the generation ended here: the rest comes again
                handled -= 1
            _ack(self._stream, event, state)


async def batches(stream: faust.Stream[Any], limit: int = BATCH) -> AsyncGenerator[Batch, None]:
    """What is waiting in ``stream``'s channel, one batch at a time (at least one record).
    The stream's app has the app's ``FlowControl`` (an ``OrdersApp``): its frontier says which
    records a reader takes while the flow is stopped. Iterate it inside ``aclosing``: a caller
    that leaves by an exception then gives its batch back at once (not acked, not in flight)."""
    channel: Any = stream.channel
    queue = channel.queue
    get_nowait, empty, errors = queue.get_nowait, queue.empty, queue._errors
    app = stream.app
    flow = app.flow_control
    if not isinstance(flow, FlowControl):
        raise TypeError(f"batches need the app's FlowControl, not {type(flow).__name__}")
    frontier = flow.frontier
    stream._finalized = True
    started = await stream.maybe_start()
    frontier.readers.add(queue)
    try:
        while not stream.should_stop:
            await asyncio.sleep(0)  # once per batch: other tasks run between two batches
            if errors:
                raise errors.popleft()
            try:
                taken = [await channel.__anext__()]
            except StopAsyncIteration:  # a channel that ends (a test's): so does the stream
                return
            while len(taken) < limit and not empty():
                taken.append(get_nowait())
            with in_flight.holding(len(taken)):  # no await since the take: a drain sees them
                batch = await _take(stream, frontier, taken)
                if batch.events:
                    yield batch
                batch.ack()
    finally:
        frontier.readers.discard(queue)
        stream._channel_stop_iteration(channel)
        if started:
            await stream.stop()
            stream.service_reset()


async def _take(
    stream: faust.Stream[Any], frontier: Frontier, taken: list[faust.EventT[Any]]
) -> Batch:
    """The batch of what this reader takes of ``taken``, through the stream's processors."""
    app = stream.app
    flowing, generation = app.flow_control.is_active(), app.consumer_generation_id
    took = frontier.took
    # The frontier moves for the whole batch before the processors' first await: a stop's clear
    # in between keeps, in the other readers' queues, every record this one goes on to handle.
    mine = [
        event for event in taken
        if event.message.generation_id == generation
        and took(event.message.tp, event.message.offset, flowing)
    ]  # fmt: skip
    acking, unacked = app.topics.acking_topics, app.consumer.unacked
    processors = stream._processors
    events: list[faust.EventT[Any]] = []
    order: list[Taken] = []
    for event in mine:
        message = event.message
        if message.topic in acking and not message.tracked:
            message.tracked = True
            unacked.add(message)
            stream._on_message_in(message.tp, message.offset, message)
        state = stream._on_stream_event_in(message.tp, message.offset, stream, event)
        kept = not processors or await _passes(stream, processors, event)
        if kept:
            events.append(event)
        order.append((event, state, kept))  # a filtered one is acked in its turn
    if events:
        stream.events_total += len(events)
    return Batch(stream, frontier, events, order)


async def _passes(stream: faust.Stream[Any], processors: Sequence[Any], event: Any) -> bool:
    """The stream's processors on the record's value: ``False`` if one skips it (a filter)."""
    stream._set_current_event(event)
    value = event.value
    try:
        for processor in processors:
            value = await maybe_async(processor(value))
    except Skip:
        return False
    finally:
        stream._set_current_event(None)
    return True


def _ack(stream: faust.Stream[Any], event: faust.EventT[Any], state: Any) -> None:
    """Faust's ack of a stream's record (``Stream.ack``, with the sensors' state kept)."""
    last = event.ack()
    message = event.message
    stream._on_stream_event_out(message.tp, message.offset, stream, event, state)
    if last:
        stream._on_message_out(message.tp, message.offset, message)
