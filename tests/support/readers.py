"""Agents' readers without a broker: records put in their queues as Faust's conductor puts
them, one batch taken and acked, a reader that falls behind another (``app.runtime.batches``)."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any, cast

import faust
from faust.types import TP, Message

from app.runtime.batches import batches
from app.runtime.durability import OrdersApp

TOPIC = TP("t", 0)


def reader(app: faust.App, channel: faust.ChannelT[Any]) -> faust.Stream[Any]:
    return cast(faust.Stream[Any], app.stream(channel))


def records(app: faust.App, *streams: faust.Stream[Any], offsets: range | list[int]) -> None:
    """What Faust's conductor does with each fetched record: one event, its reference count
    raised once per reader, put in every reader's queue."""
    for offset in offsets:
        message = Message(TOPIC.topic, TOPIC.partition, offset, 0.0, 0, [], None, None, None,
                          generation_id=app.consumer_generation_id)  # fmt: skip
        message.incref(len(streams))
        event = app.create_event(None, offset, [], message)
        for stream in streams:
            cast(Any, stream.channel).queue.put_nowait(event)


async def one_batch(stream: faust.Stream[Any], limit: int = 32) -> list[faust.EventT[Any]]:
    """One batch, handled in full and acked (as when the agent asks for the next one)."""
    async with contextlib.aclosing(batches(stream, limit)) as taken:
        async for batch in taken:
            handled = list(batch)
            batch.ack()
            break
    return handled


def two_readers(app: OrdersApp) -> tuple[faust.Stream[Any], faust.Stream[Any]]:
    channel = app.channel()
    return reader(app, channel), reader(app, channel)


class SlowReader:
    """An agent on ``stream`` that takes one record at a time and handles none before its gate
    opens: it falls behind a faster reader of the same records."""

    def __init__(self, stream: faust.Stream[Any]) -> None:
        self.gate, self.handled = asyncio.Event(), list[int]()
        self.task = asyncio.ensure_future(self._run(stream))

    async def _run(self, stream: faust.Stream[Any]) -> None:
        async with contextlib.aclosing(batches(stream, limit=1)) as taken:
            async for batch in taken:
                for event in batch:
                    await self.gate.wait()
                    self.handled.append(cast(int, event.value))

    async def stop(self) -> None:
        self.task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self.task
