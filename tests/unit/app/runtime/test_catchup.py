"""The catch-up (``app.runtime.flow``): when the flow stops, every reader of a topic handles what
another already took before the drain commits, then the generation closes (no broker)."""

from __future__ import annotations

import asyncio
import contextlib
from types import SimpleNamespace
from typing import Any, cast

import pytest

from app.runtime import durability
from app.runtime.durability import OrdersApp, drain_and_commit
from app.runtime.flow import FlowControl
from tests.support.readers import SlowReader, one_batch, reader, records, two_readers


async def fake_consumer(app: OrdersApp) -> Any:
    """Faust's commit as the drain sees it: one at a time; a commit that finds another under
    way waits for it and commits nothing (``Consumer.commit``)."""
    commits: list[bool] = []
    under_way: list[asyncio.Future[None]] = []

    async def maybe_wait_for_commit_to_finish() -> bool:
        if under_way and not under_way[0].done():
            await under_way[0]
            return True
        return False

    async def commit() -> bool:
        if await maybe_wait_for_commit_to_finish():
            return False
        commits.append(True)
        return True

    waits = maybe_wait_for_commit_to_finish
    return SimpleNamespace(app=app, commit=commit, commits=commits, under_way=under_way,
                           maybe_wait_for_commit_to_finish=waits)  # fmt: skip


async def test_once_the_flow_stops_a_reader_takes_only_what_another_took(app: OrdersApp) -> None:
    # Given two readers of a partition, one holding offset 0, the other 3 records ahead
    ahead, behind = two_readers(app)
    records(app, ahead, behind, offsets=range(6))
    slow = SlowReader(behind)
    await asyncio.sleep(0.01)
    assert [e.value for e in await one_batch(ahead, limit=3)] == [0, 1, 2]
    # When the flow stops (a rebalance, a stop) and Faust clears the queues
    app.flow_control.suspend()
    app.flow_control.clear()
    # Then the lagging reader still has, and takes, exactly what the first one took
    assert app.flow_control.frontier.behind(app.consumer_generation_id) == 2
    slow.gate.set()
    await asyncio.sleep(0.05)
    assert (
        slow.handled == [0, 1, 2] and cast(Any, behind.channel).queue.empty()
    )  # 3..5: nobody took them
    await slow.stop()


async def test_a_stopped_flow_takes_nothing_beyond_the_frontier(app: OrdersApp) -> None:
    ahead, behind = two_readers(app)
    records(app, ahead, behind, offsets=range(2))
    await one_batch(ahead, limit=1)  # the frontier: offset 0
    app.flow_control.suspend()  # no clear yet: the queues still hold 1
    assert [e.value for e in await one_batch(behind)] == [0]  # 1 dropped: nobody took it
    records(app, behind, offsets=[2])
    taken = asyncio.ensure_future(one_batch(behind))
    await asyncio.sleep(0.01)
    assert not taken.done()  # neither 1 nor 2 is taken while the flow is stopped
    taken.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await taken


async def test_a_resumed_flow_starts_a_new_frontier_and_clears_every_queue(app: OrdersApp) -> None:
    ahead, behind = two_readers(app)
    records(app, ahead, behind, offsets=range(2))
    await one_batch(ahead)
    app.flow_control.suspend()
    app.flow_control.resume()
    assert app.flow_control.frontier.offsets == {} and cast(Any, behind.channel).queue.empty()


async def test_a_drain_waits_for_the_lagging_reader_then_closes_the_generation(
    app: OrdersApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    lines: list[dict[str, Any]] = []
    monkeypatch.setattr(durability, "health", lambda event, **f: lines.append({"e": event, **f}))
    ahead, behind = two_readers(app)
    records(app, ahead, behind, offsets=range(4))
    slow = SlowReader(behind)
    await asyncio.sleep(0.01)  # it holds offset 0
    events = await one_batch(ahead, limit=3)
    app.flow_control.suspend()
    app.flow_control.clear()
    consumer = await fake_consumer(app)
    drain = asyncio.ensure_future(drain_and_commit(consumer, "stop"))
    await asyncio.sleep(0.05)
    assert not drain.done() and not consumer.commits  # 0 in hand, 1 and 2 still to take
    slow.gate.set()
    await asyncio.wait_for(drain, 5)
    assert slow.handled == [0, 1, 2] and consumer.commits == [True]
    assert [e.message.acked for e in events] == [True] * 3  # by both readers: committed
    [line] = lines
    assert line["caughtUp"] == 2 and line["unfinished"] == 0, line
    # the generation is closed: a record that reaches a queue now is not taken
    records(app, ahead, behind, offsets=[3])
    await asyncio.sleep(0.01)
    assert slow.handled == [0, 1, 2]
    await slow.stop()


async def test_a_reader_that_ended_is_not_waited_for(app: OrdersApp) -> None:
    ahead, behind = two_readers(app)
    records(app, ahead, behind, offsets=range(2))
    await one_batch(ahead)
    await one_batch(behind, limit=1)  # its loop ended: its queue is no reader's any more
    app.flow_control.suspend()
    app.flow_control.clear()
    assert app.flow_control.frontier.behind(app.consumer_generation_id) == 0


def test_the_app_runs_on_this_flow_control() -> None:
    assert isinstance(OrdersApp("test-batches-flow").flow_control, FlowControl)


async def test_the_frontier_moves_for_a_whole_batch_before_its_filters_run(
    app: OrdersApp,
) -> None:
    """A stop's clear that comes while a batch's filters run keeps, in the other readers'
    queues, every record of that batch."""
    channel = app.channel()
    other, source = reader(app, channel), reader(app, channel)
    seen: list[int] = []

    async def slow(value: int) -> int:
        if not seen:  # the flow stops while the first record's filter runs
            app.flow_control.suspend()
            app.flow_control.clear()
        seen.append(value)
        await asyncio.sleep(0)
        return value

    source.add_processor(slow)
    records(app, source, other, offsets=range(3))
    lagging = SlowReader(other)
    await asyncio.sleep(0.01)  # it holds offset 0
    assert [e.value for e in await one_batch(source)] == [0, 1, 2]
    lagging.gate.set()
    await asyncio.sleep(0.05)
    assert lagging.handled == [0, 1, 2]
    await lagging.stop()


async def test_the_catch_up_stops_in_time_for_what_is_in_hand_to_finish_before_the_deadline(
    app: OrdersApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A record taken later than the longest handling before the drain's deadline could still be
    handled when the next owner takes it: the catch-up stops there, what is left comes again."""
    lines: list[dict[str, Any]] = []
    monkeypatch.setattr(durability, "health", lambda event, **f: lines.append({"e": event, **f}))
    quick = SimpleNamespace(drain_timeout=0.4, longest_handling=lambda: 0.3)
    monkeypatch.setattr(durability, "settings", quick)
    ahead, behind = two_readers(app)
    records(app, ahead, behind, offsets=range(3))
    slow = SlowReader(behind)
    await asyncio.sleep(0.01)  # it holds offset 0
    await one_batch(ahead)
    app.flow_control.suspend()
    app.flow_control.clear()
    drain = asyncio.ensure_future(drain_and_commit(await fake_consumer(app), "rebalance"))
    await asyncio.sleep(0.2)  # past the last take (0.1 s in): 1 and 2 are no longer taken
    slow.gate.set()
    await asyncio.wait_for(drain, 5)
    assert slow.handled == [0]
    [line] = lines
    assert line["unfinished"] == 2 and line["caughtUp"] == 0, line
    await slow.stop()


async def test_a_drain_commits_its_own_after_a_periodic_commit_under_way(
    app: OrdersApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given Faust's periodic commit under way when a drain ends (it covers only what was
    # acknowledged when it began)
    lines: list[dict[str, Any]] = []
    monkeypatch.setattr(durability, "health", lambda event, **f: lines.append({"e": event, **f}))
    app.flow_control.suspend()
    consumer = await fake_consumer(app)
    periodic: asyncio.Future[None] = asyncio.get_running_loop().create_future()
    consumer.under_way.append(periodic)
    drain = asyncio.ensure_future(drain_and_commit(consumer, "rebalance"))
    await asyncio.sleep(0.1)
    assert not drain.done()
    # When it ends
    periodic.set_result(None)
    await asyncio.wait_for(drain, 5)
    # Then the drain commits what finished since, itself
    assert consumer.commits == [True] and lines[0]["committed"] is True
