"""Every record the worker's producer was given, until the broker has it (or refused it for good).

A commit waits for these (``DurableConsumer``), and a stop writes the local-state marker only
when none is left (``app.runtime.local_state``)."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from functools import partial
from typing import Any

unacked_sends: set[asyncio.Future[Any]] = set()
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
        self._handed: dict[tuple[str, int], asyncio.Future[None]] = {}

    def send(
        self, client: Any, topic: str, partition: int, records: Sequence[tuple[bytes, bytes | None]]
    ) -> asyncio.Future[int]:
        """A future (tracked until acked) of the offset of the last of ``records``."""
        before = self._handed.get((topic, partition))
        handed = self._handed[topic, partition] = asyncio.get_running_loop().create_future()
        task = asyncio.ensure_future(_in_batches(client, topic, partition, records, before, handed))
        keep_until_acked(task)
        return task


async def _in_batches(
    client: Any,
    topic: str,
    partition: int,
    records: Sequence[tuple[bytes, bytes | None]],
    before: asyncio.Future[None] | None,
    handed: asyncio.Future[None],
) -> int:
    try:
        if before is not None:
            await asyncio.wait([before])
        acks: list[tuple[Any, int]] = []  # a batch's future, its records
        batch, count = client.create_batch(), 0
        for key, value in records:
            if batch.append(key=key, value=value, timestamp=None) is None:  # full: the next
                acks.append((await client.send_batch(batch, topic, partition=partition), count))
                batch, count = client.create_batch(), 0
                batch.append(key=key, value=value, timestamp=None)  # a first record always fits
            count += 1
        acks.append((await client.send_batch(batch, topic, partition=partition), count))
    finally:
        handed.set_result(None)
    done = await asyncio.gather(*(ack for ack, _ in acks))  # every failure retrieved
    return int(done[-1].offset) + acks[-1][1] - 1
