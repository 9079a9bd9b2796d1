"""``ChangelogQueue``: the recovery takes no changelog record put after a clear (cause 13 in
docs/liveness.md), and a rewind sends the standby partitions back to what the recovery took. No
broker: the queue is driven as Faust's conductor and recovery drive it."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any, cast

import pytest
from faust.types import TP
from mode.utils.queues import ThrowableQueue

from app.application import app as orders_app
from app.runtime.durability import DurableConsumer
from app.runtime.flow import FlowControl
from app.runtime.recovery import ChangelogQueue, OrdersTableManager

STANDBY = TP("orders-user-aggregates-changelog", 0)


def record(offset: int, generation: int = 3) -> Any:
    """A fetched changelog record as Faust's conductor hands it on."""
    message = SimpleNamespace(topic=STANDBY.topic, partition=STANDBY.partition, offset=offset,
                              generation_id=generation)  # fmt: skip
    return SimpleNamespace(message=message)


def full_queue(queue_type: type[ThrowableQueue[Any]]) -> tuple[ThrowableQueue[Any], FlowControl]:
    flow = FlowControl()
    flow.resume()
    if queue_type is ChangelogQueue:
        queue: ThrowableQueue[Any] = ChangelogQueue(
            SimpleNamespace(consumer_generation_id=3), maxsize=2, flow_control=flow,
            clear_on_resume=True,
        )  # fmt: skip
    else:
        queue = queue_type(maxsize=2, flow_control=flow, clear_on_resume=True)
    queue.put_nowait(record(0))
    queue.put_nowait(record(1))
    return queue, flow


async def a_put_woken_then_cleared(queue: ThrowableQueue[Any], flow: FlowControl) -> list[int]:
    """Record 2 waits for room; the recovery takes record 0, which wakes that put, and in the
    same step a rebalance stops the flow and clears the queue (record 1 with it). What the
    recovery finds in the queue afterwards."""
    waiting = asyncio.ensure_future(queue.put(record(2)))  # the conductor's put, a task
    await asyncio.sleep(0)
    assert queue.get_nowait().message.offset == 0
    flow.suspend()
    flow.clear()
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    assert waiting.done()
    return [event.message.offset for event in list(queue._queue)]  # type: ignore[attr-defined]


async def test_a_put_woken_before_a_clear_does_not_land_after_it() -> None:
    # Given mode's queue, the put woken before the clear lands after it: record 1 is gone and
    # record 2 would be taken, the recovery's offset past 1 for good
    plain, flow = full_queue(ThrowableQueue)
    assert await a_put_woken_then_cleared(plain, flow) == [2]
    # When the same happens to the changelog queue
    queue, flow = full_queue(ChangelogQueue)
    # Then it holds nothing: record 2 is fetched again with record 1 after the rebalance
    assert await a_put_woken_then_cleared(queue, flow) == []
    assert isinstance(queue, ChangelogQueue) and queue.dropped == 1


async def test_a_record_put_while_the_flow_is_stopped_is_dropped() -> None:
    queue, flow = full_queue(ChangelogQueue)
    queue.get_nowait()
    flow.suspend()  # a delivery that waited at an earlier step (flow control, producer buffer)
    queue.force_put_nowait(record(2))  # the conductor's put when there is room
    assert [e.message.offset for e in list(queue._queue)] == [1]  # type: ignore[attr-defined]


async def test_a_record_of_an_older_generation_is_dropped_and_of_this_one_kept() -> None:
    queue, _flow = full_queue(ChangelogQueue)
    queue.get_nowait()
    queue.get_nowait()
    queue.force_put_nowait(record(2, generation=2))  # fetched before the last rebalance
    queue.force_put_nowait(record(2, generation=3))
    queue.put_nowait(record(3, generation=3))
    assert [e.message.offset for e in list(queue._queue)] == [2, 3]  # type: ignore[attr-defined]


def test_the_app_recovers_from_a_changelog_queue() -> None:
    assert isinstance(orders_app.tables, OrdersTableManager)
    assert isinstance(orders_app.tables.changelog_queue, ChangelogQueue)


async def test_a_rewind_sends_standby_partitions_back_to_what_the_recovery_took(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Given a standby partition the recovery took records of up to 134, and one not begun (-1)
    consumer = orders_app.consumer
    assert isinstance(consumer, DurableConsumer)
    recovery = cast(OrdersTableManager, orders_app.tables).recovery
    other = TP(STANDBY.topic, 2)
    monkeypatch.setattr(recovery, "standby_tps", {STANDBY, other})
    monkeypatch.setattr(recovery, "standby_offsets", {STANDBY: 134, other: -1})
    monkeypatch.setattr(type(orders_app), "rebalancing", False)
    monkeypatch.setattr(consumer, "flow_active", True)
    sought: list[dict[Any, int]] = []

    async def seek_wait(offsets: dict[Any, int]) -> None:
        assert not consumer.flow_active  # the fetch loop is stopped while it seeks
        sought.append({TP(*tp): o for tp, o in offsets.items()})

    async def no_seek(offsets: dict[TP, int]) -> None: ...

    async def starts(tps: list[TP]) -> dict[TP, int]:
        return {}

    monkeypatch.setattr(consumer._thread, "seek_wait", seek_wait)
    monkeypatch.setattr(consumer, "_seek_to", no_seek)
    monkeypatch.setattr(consumer, "_inputs", list)
    monkeypatch.setattr(consumer, "_starts", starts)
    # When the consumer rewinds (its fetch loop stopped: the rest of a batch dropped)
    await consumer._rewind()
    # Then both are sought back: to the last record taken, and to the first
    assert sought == [{STANDBY: 134, other: 0}]
