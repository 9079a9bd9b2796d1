"""The fetch loop's seek back to the committed offsets is not made once every input was sought in
this assignment (it landed after the recovery's seek and repeated records: ``make faults``'
SIGTERM scenario); the recovery's and a rewind's seeks always are. No broker: Faust's seek is
recorded, not made."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from faust.transport.drivers import aiokafka as faust_kafka
from faust.types import TP

from app.application import app

TOPIC = TP("t.inventory.commands", 0)
OTHER = TP("t.carts.events", 1)


@pytest.fixture()
def seeks(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The consumer, assigned TOPIC and OTHER (both committed before); Faust's seeks recorded."""
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

    async def loop() -> None:
        c._fetch_task = asyncio.current_task()
        await coro

    await asyncio.create_task(loop(), name="fetch loop")


async def test_the_fetch_loops_seek_after_every_input_was_sought_is_not_made(
    seeks: list[str],
) -> None:
    c: Any = app.consumer
    await c.perform_seek()  # the recovery's seek, in its own task: made
    assert seeks == [asyncio.current_task().get_name()]  # type: ignore[union-attr]
    assert c._next == {TOPIC: 5, OTHER: 0}
    c._next[TOPIC] = 9  # records 5..8 delivered since
    await fetch_loop(c.perform_seek())  # the fetch loop's, after it: not made
    assert len(seeks) == 1 and c._next[TOPIC] == 9


async def test_the_fetch_loops_seek_is_made_while_an_input_waits_for_its_seek(
    seeks: list[str],
) -> None:
    c: Any = app.consumer
    await fetch_loop(c.perform_seek())  # nothing sought since the assignment: made
    assert seeks == ["fetch loop"]
    c._reassigned()  # a rebalance: every partition waits for its seek again
    await fetch_loop(c.perform_seek())
    assert seeks == ["fetch loop", "fetch loop"]
