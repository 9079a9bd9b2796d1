"""Every record the worker's producer was given, until the broker has it (or refused it for good).

A commit waits for these (``DurableConsumer``), and a stop writes the local-state marker only
when none is left (``app.runtime.local_state``)."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
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
