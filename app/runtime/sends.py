"""Every record the worker's producer was given, until the broker has it (or refused it for good).

A commit waits for these (``DurableConsumer``), and a stop writes the local-state marker only
when none is left (``app.runtime.local_state``)."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

from aiokafka.errors import MessageSizeTooLargeError
from aiokafka.record.default_records import DefaultRecordBatchBuilder

unacked_sends: set[asyncio.Future[Any]] = set()


@dataclass(frozen=True, slots=True)
class Forward:
    """A record to send on as it came, under a new key (a repartition), held by the outbox like
    a handler's events (``app.runtime.intake.forward``)."""

    topic: Any
    key: bytes
    value: bytes
    headers: Mapping[str, bytes]
    what: str  # for logs and dead letters: the event it carries


failed_sends: list[str] = []


def _settled(fut: asyncio.Future[Any]) -> None:
    unacked_sends.discard(fut)
    if not fut.cancelled() and fut.exception() is not None:
        failed_sends.append(repr(fut.exception()))


def keep_until_acked(fut: Any) -> Any:
    """Keep a send's future until the broker has acknowledged it (or refused it for good)."""
    if isinstance(fut, asyncio.Future):
        unacked_sends.add(fut)
        fut.add_done_callback(_settled)
    return fut


async def send_record(
    topic: Any, key: bytes, value: bytes, headers: Mapping[str, bytes] | None = None
) -> asyncio.Future[Any]:
    """Hand one record of bytes straight to the worker's producer; returns the client's ack
    future (tracked by the producer, ``IdempotentProducer``).

    Faust's ``Topic.send`` wraps every record in a ``PendingMessage`` and a ``FutureMessage``,
    goes through the channel's and the topic's layers and resolves its future from a callback:
    for a forwarding agent about as much CPU as the rest of the record's way (``make bench``,
    docs/performance.md). The sensors are kept: Faust's per-topic sent counters and send
    latency on ``/metrics`` count these records as before."""
    app = topic.app
    producer, sensors, name = app.producer, app.sensors, topic.get_topic_name()
    state = sensors.on_send_initiated(producer, name, None, len(key), len(value))
    fut: asyncio.Future[Any] = await producer.send(name, key, value, None, None, headers)
    fut.add_done_callback(partial(_completed, sensors, producer, state))
    return fut


def _completed(sensors: Any, producer: Any, state: Any, fut: asyncio.Future[Any]) -> None:
    if fut.cancelled():
        return
    if (exc := fut.exception()) is not None:
        sensors.on_send_error(producer, exc, state)
    else:
        sensors.on_send_completed(producer, state, fut.result())


class InOrder:
    """Records for one partition at a time, handed to the client as batches, each hand-over after
    the partition's previous one: a record cache's flushes (``app.runtime.record_cache``).

    Faust sends a changelog record through its producer buffer (``send_soon``): a
    ``FutureMessage`` and a ``publish_message`` per record, one task handing them over one by one,
    and, once more than 100 wait there, every consumer's delivery stops until it has handed over
    100 (``wait_until_ebb``). A flush of a few hundred keys stalled the worker's intake so. Here a
    flush is a batch (or a few: ``producer_max_batch_size``) and one future. The client keeps a
    partition's batches in the order they were handed over, but two hand-overs that wait for room
    may swap; a changelog's order is its latest value, so each waits for the one before."""

    def __init__(self) -> None:
        # (topic, partition) -> the client, the last flush's hand-over, the last flush
        self._last: dict[tuple[str, int], tuple[Any, asyncio.Future[None], asyncio.Future[int]]]
        self._last = {}

    def send(
        self, client: Any, topic: str, partition: int, records: Sequence[tuple[bytes, bytes | None]]
    ) -> asyncio.Future[int]:
        """A future (tracked until acked) of the offset of the last of ``records``."""
        if not records:
            raise ValueError(f"an empty flush of {topic}/{partition}")
        before: asyncio.Future[Any] | None = None
        if (last := self._last.get((topic, partition))) is not None:
            # a client of its own (the producer restarted) keeps no order with the one before:
            # then the flush before must be on the broker, not only handed over
            before = last[1] if last[0] is client else last[2]
        handed: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        task = asyncio.ensure_future(_in_batches(client, topic, partition, records, before, handed))
        task.add_done_callback(partial(_handed_over, handed))  # also when cancelled unstarted
        self._last[topic, partition] = (client, handed, task)  # before its first step too
        keep_until_acked(task)
        return task


def _handed_over(handed: asyncio.Future[None], _: Any) -> None:
    if not handed.done():
        handed.set_result(None)


async def _in_batches(
    client: Any,
    topic: str,
    partition: int,
    records: Sequence[tuple[bytes, bytes | None]],
    before: asyncio.Future[Any] | None,
    handed: asyncio.Future[None],
) -> int:
    acks: list[tuple[Any, int]] = []  # a batch's future, its records
    try:
        if before is not None:
            await asyncio.wait([before])
        for key, value in records:  # as ``AIOKafkaProducer.send`` checks, before any is handed:
            size = DefaultRecordBatchBuilder.estimate_size_in_bytes(key, value, [])
            if size > client._max_request_size:  # the broker would refuse it, and its sequence
                raise MessageSizeTooLargeError(  # number would fail every batch after it
                    f"a {topic}/{partition} record of {size} bytes, over max_request_size"
                )
        batch, count = client.create_batch(), 0
        for key, value in records:
            if batch.append(key=key, value=value, timestamp=None) is None:  # full: the next
                acks.append((await client.send_batch(batch, topic, partition=partition), count))
                batch, count = client.create_batch(), 0
                batch.append(key=key, value=value, timestamp=None)  # a first record always fits
            count += 1
        acks.append((await client.send_batch(batch, topic, partition=partition), count))
    except BaseException:
        for ack, _ in acks:  # handed over before the failure: their failures are read
            ack.add_done_callback(lambda fut: fut.cancelled() or fut.exception())
        raise
    finally:
        _handed_over(handed, None)
    done = await asyncio.gather(*(ack for ack, _ in acks))  # every failure retrieved
    return int(done[-1].offset) + acks[-1][1] - 1
