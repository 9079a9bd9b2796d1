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
record, in turn, Faust's ``current_event()`` (tables write to its partition)."""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import AsyncIterator, Iterator, Sequence
from typing import Any

import faust
from faust.exceptions import Skip
from faust.streams import _current_event
from mode.utils.futures import maybe_async

# Records a batch takes at most: the agent runs them without giving other tasks a turn (the
# HTTP answers, the producer's sender, the flushes), so a few dozen, not hundreds.
BATCH = 32


class Batch:
    """The records of one batch. Iterating sets each one, in turn, as ``current_event()``, and
    stops early when a rebalance began meanwhile (the flow stopped, or a new generation): as
    Faust's own iterator, which checks each record as it takes it, the rest are not handled
    and not acked (the partitions are sought back to their committed offsets)."""

    __slots__ = ("_stream", "events", "taken")

    def __init__(self, stream: faust.Stream[Any], events: list[faust.EventT[Any]]) -> None:
        self._stream = stream
        self.events = events
        self.taken = 0  # records handed out: acked once the caller asks for the next batch

    def __len__(self) -> int:
        return len(self.events)

    def __iter__(self) -> Iterator[faust.EventT[Any]]:
        stream = self._stream
        app = stream.app
        flow = app.flow_control
        for event in self.events:
            if not flow.is_active() or event.message.generation_id != app.consumer_generation_id:
                break
            _current_event.set(weakref.ref(event))
            stream.current_event = event
            self.taken += 1
            yield event
        stream.current_event = None


async def batches(stream: faust.Stream[Any], limit: int = BATCH) -> AsyncIterator[Batch]:
    """What is waiting in ``stream``'s channel, one batch at a time (at least one record)."""
    channel: Any = stream.channel
    queue = channel.queue
    get_nowait, empty, errors = queue.get_nowait, queue.empty, queue._errors
    app = stream.app
    flow, consumer = app.flow_control, app.consumer
    acking = app.topics.acking_topics
    unacked = consumer.unacked
    on_message_in, on_event_in = stream._on_message_in, stream._on_stream_event_in
    processors = stream._processors
    stream._finalized = True
    started = await stream.maybe_start()
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
            events: list[faust.EventT[Any]] = []
            order: list[tuple[faust.EventT[Any], Any, bool]] = []  # (event, sensor state, kept)
            for event in taken:
                message = event.message
                if not flow.is_active() or message.generation_id != app.consumer_generation_id:
                    continue  # fetched before a rebalance: Faust drops it, unacked, as here
                if message.topic in acking and not message.tracked:
                    message.tracked = True
                    unacked.add(message)
                    on_message_in(message.tp, message.offset, message)
                state = on_event_in(message.tp, message.offset, stream, event)
                kept = not processors or await _passes(stream, processors, event)
                if kept:
                    events.append(event)
                order.append((event, state, kept))  # a filtered one is acked in its turn
            batch = Batch(stream, events)
            if events:
                stream.events_total += len(events)
                yield batch
            # Acked in offset order, up to the first record not handled: those the batch
            # handled, and those a filter skipped among them. Not when the caller left the
            # loop by an exception: a record it did not finish is not committed (Faust's own
            # iterator acks it whatever its loop raised, #315).
            handled = batch.taken
            for event, state, kept in order:
                if kept:
                    if not handled:
                        break  # a rebalance stopped the batch here: the rest comes again
                    handled -= 1
                _ack(stream, event, state)
    finally:
        stream._channel_stop_iteration(channel)
        if started:
            await stream.stop()
            stream.service_reset()


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
