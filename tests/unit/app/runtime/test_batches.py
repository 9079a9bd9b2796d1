"""``batches``: an agent's records in batches of what is already waiting, each record the
current event while it is handled, acked only once its batch is handled (no broker: the records
are put in the reader's queue as Faust's conductor puts them)."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any, cast

import faust
import pytest

from app.runtime.batches import Batch, batches
from app.runtime.durability import OrdersApp
from app.runtime.inflight import in_flight
from tests.support.readers import one_batch, reader, records


async def test_a_batch_is_what_is_waiting_in_order_up_to_the_limit(app: OrdersApp) -> None:
    stream = reader(app, app.channel())
    records(app, stream, offsets=range(5))
    seen = []
    async with contextlib.aclosing(batches(stream, limit=2)) as taken:
        async for batch in taken:
            seen.append([event.value for event in batch])
            if sum(map(len, seen)) == 5:
                break
    assert seen == [[0, 1], [2, 3], [4]]


async def test_a_lone_record_comes_at_once_without_waiting_for_company(app: OrdersApp) -> None:
    stream = reader(app, app.channel())
    asyncio.get_running_loop().call_later(0.01, lambda: records(app, stream, offsets=[7]))
    assert [event.value for event in await one_batch(stream)] == [7]


async def test_each_record_is_the_current_event_while_it_is_handled(app: OrdersApp) -> None:
    stream = reader(app, app.channel())
    records(app, stream, offsets=range(2))
    async with contextlib.aclosing(batches(stream)) as taken:
        async for batch in taken:
            for event in batch:
                assert faust.current_event() is event
            break


async def test_records_are_acked_and_let_go_only_once_the_batch_is_handled(app: OrdersApp) -> None:
    stream = reader(app, app.channel())
    records(app, stream, offsets=range(3))
    first: Batch | None = None
    async with contextlib.aclosing(batches(stream)) as taken:
        async for batch in taken:
            if first is None:
                first = batch
                for event in batch:
                    assert not event.message.acked  # in hand
                assert in_flight.count == 3  # a drain waits for them
                records(app, stream, offsets=[3])
                continue
            assert [e.message.acked for e in first.events] == [True, True, True]
            assert [e.message.acked for e in batch.events] == [False]
            assert in_flight.count == 1
            break


async def test_a_record_a_filter_skips_is_acked_in_its_turn_not_handed_out(app: OrdersApp) -> None:
    seen: list[faust.EventT[Any]] = []

    def record(value: int) -> int:  # sees every record, ahead of the filter
        event = faust.current_event()
        assert event is not None
        seen.append(event)
        return value

    source = reader(app, app.channel())
    source.add_processor(record)
    stream = cast(faust.Stream[Any], source.filter(lambda value: value % 2 == 0))
    records(app, source, offsets=[1, 2, 3, 4])
    handed: list[Any] = []
    async with contextlib.aclosing(batches(stream)) as taken:
        async for batch in taken:
            if handed:
                break
            handed = [event.value for event in batch]
            assert [e.message.acked for e in seen] == [False] * 4  # none before it is handled
            records(app, source, offsets=[6])
    assert handed == [2, 4]
    assert [e.message.acked for e in seen[:4]] == [True] * 4


async def test_a_new_generation_mid_batch_stops_it_and_leaves_the_rest_unacked(
    app: OrdersApp,
) -> None:
    stream = reader(app, app.channel())
    records(app, stream, offsets=range(3))
    handled: list[Any] = []
    async with contextlib.aclosing(batches(stream)) as taken:
        async for batch in taken:
            for event in batch:
                handled.append(event.value)
                app.consumer_generation_id += 1  # a rebalance completed meanwhile
            batch.ack()
            break
    assert handled == [0] and batch.taken == 1
    assert [e.message.acked for e in batch.events] == [True, False, False]


async def test_a_batch_left_by_an_exception_is_not_acked_nor_held(app: OrdersApp) -> None:
    """Faust's own iterator acks a record whatever its loop raised (faust-streaming #315)."""
    stream = reader(app, app.channel())
    records(app, stream, offsets=range(2))
    taken: list[faust.EventT[Any]] = []
    with pytest.raises(RuntimeError):
        async with contextlib.aclosing(batches(stream)) as batched:
            async for batch in batched:
                for event in batch:
                    taken.append(event)
                    raise RuntimeError("the handler's loop broke")
    assert [e.message.acked for e in taken] == [False]
    assert in_flight.count == 0


async def test_batches_refuse_an_app_without_the_apps_flow_control() -> None:
    plain = faust.App("test-batches-plain", broker="kafka://127.0.0.1:1", web_enabled=False)
    with pytest.raises(TypeError, match="FlowControl"):
        await one_batch(reader(plain, plain.channel()))


# The catch-up: a topic's readers leave a generation at the same offset.
