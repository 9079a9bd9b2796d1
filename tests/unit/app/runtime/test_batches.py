"""``batches``: an agent's records in batches of what is already waiting, each record the
current event while it is handled, acked only once its batch is handled (no broker: a channel)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import faust
import pytest

from app.runtime.batches import Batch, batches


@pytest.fixture()
async def app() -> AsyncIterator[faust.App]:
    app = faust.App("test-batches", broker="kafka://127.0.0.1:1", web_enabled=False)
    app.flow_control.resume()
    yield app


async def fill(channel: faust.ChannelT[Any], *values: int) -> None:
    for value in values:
        await channel.send(value=value)


async def test_a_batch_is_what_is_waiting_in_order_up_to_the_limit(app: faust.App) -> None:
    channel = app.channel()
    stream = app.stream(channel)  # subscribed before anything is sent
    await fill(channel, 1, 2, 3, 4, 5)
    seen = []
    async for batch in batches(stream, limit=2):
        seen.append([event.value for event in batch])
        if sum(map(len, seen)) == 5:
            break
    assert seen == [[1, 2], [3, 4], [5]]


async def test_a_lone_record_comes_at_once_without_waiting_for_company(app: faust.App) -> None:
    channel = app.channel()
    stream = app.stream(channel)  # subscribed before anything is sent
    asyncio.get_running_loop().call_later(0.01, lambda: asyncio.ensure_future(fill(channel, 7)))
    async for batch in batches(stream):
        assert [event.value for event in batch] == [7]
        break


async def test_each_record_is_the_current_event_while_it_is_handled(app: faust.App) -> None:
    channel = app.channel()
    stream = app.stream(channel)  # subscribed before anything is sent
    await fill(channel, 1, 2)
    async for batch in batches(stream):
        for event in batch:
            assert faust.current_event() is event
        break


async def test_records_are_acked_only_once_the_next_batch_is_asked_for(app: faust.App) -> None:
    channel = app.channel()
    stream = app.stream(channel)  # subscribed before anything is sent
    await fill(channel, 1, 2, 3)
    first: Batch | None = None
    async for batch in batches(stream):
        if first is None:
            first = batch
            for event in batch:
                assert not event.message.acked  # in hand
            await fill(channel, 4)
            continue
        assert [e.message.acked for e in first.events] == [True, True, True]
        assert [e.message.acked for e in batch.events] == [False]
        break


async def test_a_record_a_filter_skips_is_acked_in_its_turn_not_handed_out(app: faust.App) -> None:
    channel = app.channel()
    seen: list[faust.EventT[Any]] = []

    def record(value: int) -> int:  # sees every record, ahead of the filter
        event = faust.current_event()
        assert event is not None
        seen.append(event)
        return value

    stream = app.stream(channel)
    stream.add_processor(record)
    stream = stream.filter(lambda value: value % 2 == 0)
    await fill(channel, 1, 2, 3, 4)
    handed: list[int] = []
    async for batch in batches(stream):
        if handed:
            break
        handed = [event.value for event in batch]
        assert [e.message.acked for e in seen] == [False] * 4  # none before the batch is handled
        await fill(channel, 6)
    assert handed == [2, 4]
    assert [e.message.acked for e in seen[:4]] == [True] * 4


async def test_a_rebalance_mid_batch_stops_it_and_leaves_the_rest_unacked(app: faust.App) -> None:
    channel = app.channel()
    stream = app.stream(channel)  # subscribed before anything is sent
    await fill(channel, 1, 2, 3)
    handled: list[int] = []
    batch_seen: Batch | None = None
    async for batch in batches(stream):
        if batch_seen is not None:
            break
        batch_seen = batch
        for event in batch:
            handled.append(event.value)
            app.flow_control.suspend()  # a rebalance begins while the first record is handled
        app.flow_control.resume()
        await fill(channel, 4)
    assert handled == [1] and batch_seen is not None and batch_seen.taken == 1
    assert [e.message.acked for e in batch_seen.events] == [True, False, False]


async def test_a_batch_left_by_an_exception_is_not_acked(app: faust.App) -> None:
    channel = app.channel()
    stream = app.stream(channel)  # subscribed before anything is sent
    await fill(channel, 1, 2)
    taken: list[faust.EventT[Any]] = []
    with pytest.raises(RuntimeError):
        async for batch in batches(stream):
            for event in batch:
                taken.append(event)
                raise RuntimeError("the handler's loop broke")
    assert [e.message.acked for e in taken] == [False]
