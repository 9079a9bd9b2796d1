"""Replay leaves a dead-lettered event out of its handler's projection, by the DLQ's name."""

from __future__ import annotations

from types import SimpleNamespace

import orjson
import pytest

from agents import aggregates, inventory, order_events
from app.cli import replay
from app.runtime.received import Received
from domain import simulation
from domain.dead_letter import dead_letter
from domain.types import now_utc


def test_replay_names_the_handlers_as_their_dead_letters_do() -> None:
    # a DeadLetter's ``agent`` is the failing handler's __qualname__, on records already written:
    # renaming a handler would change the wire and blind replay to the old records
    assert (replay.STATUSES, replay.TOTALS, replay.STOCK) == (
        "track", "aggregate", "apply_stock_command",
    )  # fmt: skip
    handlers = (order_events.track, aggregates.aggregate, inventory.apply_stock_command)
    assert tuple(h.__qualname__ for h in handlers) == (replay.STATUSES, replay.TOTALS, replay.STOCK)


async def test_a_dead_letter_of_the_by_user_forward_counts_against_the_totals(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Given the forward (``regroup``) and the tracker each gave up on an event
    rec = next(iter(simulation.orders(1, seed=7)))
    event = Received("orders.events", 0, 0, rec.key.encode(), rec.value)
    letters = [
        dead_letter(event, "processing", "boom", group="orders", host="h", retries=0,
                    now=now_utc(), agent=handler.__qualname__)
        for handler in (aggregates.regroup, order_events.track)
    ]  # fmt: skip

    async def dlq(bootstrap: str, topics: list[str]) -> list[SimpleNamespace]:
        return [SimpleNamespace(value=letter.model_dump_json().encode()) for letter in letters]

    monkeypatch.setattr(replay, "read_all", dlq)
    # When replay reads the DLQ, Then the aggregator's projection leaves it out, as the tracker's
    skip = await replay.dead_lettered("unused")
    event_id = orjson.loads(rec.value)["eventId"]
    assert skip == {replay.STATUSES: {event_id}, replay.TOTALS: {event_id}, replay.STOCK: set()}
