"""``EagerWaitFirst``: a delivery that finishes without suspending schedules nothing; one that
suspends still loses the race against the flow's suspension, cancelled as a task would be."""

from __future__ import annotations

import asyncio
import inspect
from typing import Any

import pytest
from mode import Service
from mode.utils.locks import Event

from app.runtime.eager import EagerWaitFirst, start


class Fetcher(EagerWaitFirst, Service):
    def __init__(self) -> None:
        super().__init__()
        self.suspend_flow = Event()


async def immediate(log: list[str]) -> str:
    log.append("ran")
    return "delivered"


async def test_a_delivery_that_never_suspends_is_answered_without_a_task() -> None:
    fetcher, log = Fetcher(), list[str]()
    tasks_before = len(asyncio.all_tasks())
    other = fetcher.suspend_flow.wait()
    delivery = immediate(log)
    results = await fetcher.wait_first(delivery, other)
    assert results.done == [delivery] and results.results == ["delivered"] and not results.stopped
    assert log == ["ran"]
    assert inspect.getcoroutinestate(other) == inspect.CORO_CLOSED  # never awaited, closed
    assert len(asyncio.all_tasks()) == tasks_before


async def test_a_delivery_that_suspends_finishes_as_a_task_would() -> None:
    fetcher, gate = Fetcher(), asyncio.get_running_loop().create_future()

    async def waits() -> int:
        await asyncio.sleep(0)  # a bare yield first
        return int(await gate) + 1

    asyncio.get_running_loop().call_later(0.01, gate.set_result, 41)
    results = await fetcher.wait_first(waits(), fetcher.suspend_flow.wait())
    assert results.results == [42]


async def test_a_suspended_delivery_is_cancelled_when_the_flow_is_suspended() -> None:
    fetcher, cleaned = Fetcher(), []

    async def blocked() -> None:
        try:
            await asyncio.get_running_loop().create_future()  # a full queue, say
        finally:
            cleaned.append("cancelled inside")

    asyncio.get_running_loop().call_later(0.01, fetcher.suspend_flow.set)
    results = await fetcher.wait_first(blocked(), fetcher.suspend_flow.wait())
    await asyncio.sleep(0)  # the cancelled task runs its finally
    assert [type(d).__name__ for d in results.done] == ["coroutine"]
    assert results.results == [True]  # the flow's wait won
    assert cleaned == ["cancelled inside"]


async def test_a_delivery_that_loses_the_race_lets_go_of_its_lock() -> None:
    fetcher, lock = Fetcher(), asyncio.Lock()

    async def holding() -> None:
        async with lock:  # the conductor's lock, held across a wait on a full queue
            await asyncio.get_running_loop().create_future()

    asyncio.get_running_loop().call_later(0.01, fetcher.suspend_flow.set)
    await fetcher.wait_first(holding(), fetcher.suspend_flow.wait())
    await asyncio.sleep(0)
    assert not lock.locked()


async def test_with_the_flow_already_suspended_mode_decides_and_the_suspension_wins() -> None:
    fetcher, log = Fetcher(), list[str]()
    fetcher.suspend_flow.set()
    delivery, suspended = immediate(log), fetcher.suspend_flow.wait()
    results = await fetcher.wait_first(delivery, suspended)
    # mode's path: both ran in tasks and both are winners (inline, only the delivery would be)
    assert suspended in results.done and True in results.results


async def test_what_the_delivery_raises_is_raised() -> None:
    fetcher = Fetcher()

    async def broken() -> None:
        raise ValueError("undecodable")

    other = fetcher.suspend_flow.wait()
    with pytest.raises(ValueError, match="undecodable"):
        await fetcher.wait_first(broken(), other)
    assert inspect.getcoroutinestate(other) == inspect.CORO_CLOSED


def test_start_runs_to_the_first_suspension_only() -> None:
    steps: list[int] = []

    async def two_steps() -> Any:
        steps.append(1)
        await asyncio.sleep(0)
        steps.append(2)

    done, rest = start(two_steps())
    assert not done and steps == [1]
    rest.coro.close()


async def test_a_delivery_closed_after_it_lost_the_race_takes_its_cancellation_quietly() -> None:
    # Given a delivery that suspended, its rest running in a task that has taken a step
    async def delivery() -> None:
        await asyncio.sleep(10)

    coro = delivery()
    done, rest = start(coro)
    assert not done
    task = asyncio.ensure_future(rest)
    await asyncio.sleep(0)
    # When mode's wait_first cancels it and ours closes the coroutine, in that order
    task.cancel()
    coro.close()
    # Then the task ends cancelled (not "cannot reuse already awaited coroutine")
    with pytest.raises(asyncio.CancelledError):
        await task
