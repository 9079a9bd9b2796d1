"""Replay leaves a dead-lettered event out of its handler's projection, by the DLQ's name."""

from __future__ import annotations

from agents import aggregates, inventory, order_events
from app.cli import replay


def test_replay_names_the_handlers_as_their_dead_letters_do() -> None:
    # a DeadLetter's ``agent`` is the failing handler's __qualname__, on records already written:
    # renaming a handler would change the wire and blind replay to the old records
    assert (replay.STATUSES, replay.TOTALS, replay.STOCK) == (
        "track", "aggregate", "apply_stock_command",
    )  # fmt: skip
    handlers = (order_events.track, aggregates.aggregate, inventory.apply_stock_command)
    assert tuple(h.__qualname__ for h in handlers) == (replay.STATUSES, replay.TOTALS, replay.STOCK)


def test_a_dead_letter_of_the_by_user_forward_counts_against_the_totals() -> None:
    # the aggregator never had an event the forward (``regroup``) gave up on
    assert {aggregates.regroup.__qualname__: replay.TOTALS} == replay.FEEDS
