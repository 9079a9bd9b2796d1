"""The fetch loop's own seek back to the committed offsets is not made: it raced with the
recovery's seek, and whichever landed second repeated the records delivered after the first
(``make faults``' SIGTERM scenario). What a stopped flow dropped is fetched again once the flow
runs. No broker: Faust's seek is recorded, not made."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from faust.transport.drivers import aiokafka as faust_kafka

from app.application import app
from tests.unit.app.runtime.test_delivery import OTHER, TOPIC, Loop, loop, sought

__all__ = ["loop"]  # the fixture, shared with test_delivery


@pytest.fixture()
def seeks(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The consumer, assigned TOPIC and OTHER (both committed before); Faust's seeks recorded
    by the name of the task that asked for them."""
    c: Any = app.consumer
    c._reassigned()
    made: list[str] = []

    async def seek_to_committed(self: Any) -> None:
        made.append(asyncio.current_task().get_name())  # type: ignore[union-attr]

    monkeypatch.setattr(faust_kafka.Consumer, "perform_seek", seek_to_committed)
    monkeypatch.setattr(c, "assignment", lambda: {TOPIC, OTHER})
    monkeypatch.setitem(c._committed_offset, TOPIC, 5)
    monkeypatch.setitem(c._committed_offset, OTHER, 0)
    monkeypatch.setattr(c, "_fetch_task", None)
    return made


async def fetch_loop(coro: Any) -> None:
    """Run ``coro`` as the fetch loop's task (the one that iterates ``getmany``)."""
    c: Any = app.consumer

    async def run() -> None:
        c._fetch_task = asyncio.current_task()
        await coro

    await asyncio.create_task(run(), name="fetch loop")


async def test_the_recoverys_seek_is_made_the_fetch_loops_is_not(seeks: list[str]) -> None:
    c: Any = app.consumer
    await fetch_loop(c.perform_seek())  # before the recovery's: not made, nothing sought
    assert seeks == [] and c._next == {}
    await c.perform_seek()  # the recovery's, in its own task
    assert seeks == [asyncio.current_task().get_name()]  # type: ignore[union-attr]
    assert c._next == {TOPIC: 5, OTHER: 0}
    c._next[TOPIC] = 9  # records 5..8 delivered since
    await fetch_loop(c.perform_seek())  # after it: not made, 5..8 do not come again
    assert len(seeks) == 1 and c._next[TOPIC] == 9


async def test_what_a_stopped_flow_dropped_is_fetched_again_once_it_runs(
    loop: Loop, monkeypatch: pytest.MonkeyPatch
) -> None:
    sought(loop.consumer, {TOPIC: 5, OTHER: 0})
    monkeypatch.setattr(loop.consumer, "flow_active", False)
    await loop.batch(upto=8)  # 5..8 fetched while the flow is stopped: none handed on
    assert loop.delivered == [] and loop.sought == []  # not while it is stopped
    monkeypatch.setattr(loop.consumer, "flow_active", True)
    await loop.batch(0, tp=OTHER)  # nothing new of TOPIC comes: fetched again all the same
    assert loop.sought == [{TOPIC: 5}]
    await loop.batch(5, 6, 7, 8)
    assert loop.delivered == [0, 5, 6, 7, 8]
