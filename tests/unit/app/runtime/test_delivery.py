"""``OrderedConsumer`` (cause 11 in docs/liveness.md), with no broker:
the consumer is built, never started; its batches are given, its deliveries and seeks recorded."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from typing import Any, NamedTuple

import pytest
from faust.types import TP

from app.application import app
from app.runtime.delivery import OrderedConsumer
from app.runtime.flow import FlowControl

TOPIC = TP("t.inventory.commands", 0)
OTHER = TP("t.carts.events", 1)


class Record(NamedTuple):
    tp: TP
    offset: int


class Loop:
    """The fetch loop as Faust's ``_drain_messages`` runs it: each record ``getmany`` yields goes
    to the callback; the delivery of an offset in ``cancel`` is cancelled (the flow stopped)."""

    def __init__(self, consumer: Any, monkeypatch: pytest.MonkeyPatch) -> None:
        self.consumer = consumer
        self.delivered: list[int] = []
        self.sought: list[dict[TP, int]] = []
        self.cancel: set[int] = set()

        async def deliver(message: Any) -> None:
            if message.offset in self.cancel:
                self.cancel.discard(message.offset)
                raise asyncio.CancelledError
            self.delivered.append(message.offset)

        async def seek_to(offsets: dict[TP, int]) -> None:
            self.sought.append(dict(offsets))
            sought(consumer, offsets)

        monkeypatch.setattr(consumer, "callback", consumer._recording(deliver))
        monkeypatch.setattr(consumer, "_seek_to", seek_to)
        monkeypatch.setattr(consumer, "assignment", lambda: {TOPIC, OTHER})

    async def batch(self, *offsets: int, tp: TP = TOPIC, upto: int | None = None,
                    during: Callable[[], None] = lambda: None) -> None:  # fmt: skip
        """One batch that fetched ``tp``'s records up to ``upto`` (the last of ``offsets`` unless
        given: the rest were dropped by the fetch loop) and handed ``offsets`` on; ``during`` runs
        once it has been fetched."""
        last = upto if upto is not None else max(offsets)

        async def fetched(timeout: float) -> AsyncIterator[tuple[TP, Record]]:
            self.consumer._last_fetch = {tp: last}
            during()
            for offset in offsets:
                yield tp, Record(tp, offset)

        self.consumer._fetched = fetched
        async for _, message in self.consumer.getmany(1.0):
            # Faust's wait_first: when the flow stops, the record is not delivered
            with contextlib.suppress(asyncio.CancelledError):
                await self.consumer.callback(message)


def sought(consumer: Any, offsets: dict[TP, int]) -> None:
    """A seek made in the current assignment (a rebalance's, a rewind's) has completed."""
    consumer._expect(offsets, consumer._epoch)


@pytest.fixture()
def loop(monkeypatch: pytest.MonkeyPatch) -> Loop:
    c: Any = app.consumer
    c._reassigned()
    monkeypatch.setattr(c, "flow_active", True)
    monkeypatch.setattr(type(app), "rebalancing", False)
    return Loop(c, monkeypatch)


async def test_a_partition_is_delivered_from_its_seek_in_order(loop: Loop) -> None:
    sought(loop.consumer, {TOPIC: 5})
    await loop.batch(5, 6, 7)
    await loop.batch(8, 9)
    assert loop.delivered == [5, 6, 7, 8, 9] and loop.sought == []


async def test_records_fetched_after_a_rebalance_wait_for_its_seek(loop: Loop) -> None:
    # Given a rebalance: Faust resumes the stream partitions before it seeks them back to the
    # committed offset, and the old position had moved past record 6 (cause 11: 7 and 8 were
    # handled, then 6)
    sought(loop.consumer, {TOPIC: 2})
    await loop.batch(2, 3, 4, 5)
    loop.consumer._next.clear()  # assigned again
    await loop.batch(7, 8)
    # Then nothing is delivered until the seek, and then everything from it, in order
    assert loop.delivered == [2, 3, 4, 5]
    sought(loop.consumer, {TOPIC: 6})
    await loop.batch(6, 7, 8)
    assert loop.delivered == [2, 3, 4, 5, 6, 7, 8] and loop.sought == []


async def test_records_fetched_while_the_seek_was_under_way_are_fetched_again(
    loop: Loop,
) -> None:
    # Given a rebalance whose seek of the partition to 141 is made, and a batch fetched from
    # there before the seek returns (the client seeks one partition per round trip): held back
    await loop.batch(141, 142, 143)
    assert loop.delivered == []
    # When the seek returns, and the next batch has nothing of the partition (nothing new)
    sought(loop.consumer, {TOPIC: 141})
    await loop.batch(1, tp=OTHER)
    # Then the partition is fetched again from 141, and delivered from there
    assert loop.sought == [{TOPIC: 141}]
    await loop.batch(141, 142, 143)
    assert loop.delivered == [141, 142, 143] and loop.sought == [{TOPIC: 141}]


async def test_a_partition_held_before_its_seek_and_fetched_since_is_not_sought_again(
    loop: Loop,
) -> None:
    await loop.batch(7, 8)  # before the seek's answer
    sought(loop.consumer, {TOPIC: 6})
    await loop.batch(6, 7, 8)  # fetched from the sought offset meanwhile
    await loop.batch(1, tp=OTHER)
    assert loop.delivered == [6, 7, 8] and loop.sought == []


async def test_a_cancelled_delivery_holds_back_what_follows_and_seeks_back_to_it(
    loop: Loop,
) -> None:
    sought(loop.consumer, {TOPIC: 5})
    loop.cancel.add(6)
    await loop.batch(5, 6, 7, 8)
    assert loop.delivered == [5] and loop.sought == [{TOPIC: 6}]
    await loop.batch(6, 7, 8)
    assert loop.delivered == [5, 6, 7, 8]


async def test_records_left_in_a_batch_are_fetched_again(loop: Loop) -> None:
    # Given a batch whose rest was dropped (the flow stopped, the generation changed): the
    # client's position is past 6 and 7
    sought(loop.consumer, {TOPIC: 5})
    await loop.batch(5, upto=7)
    assert loop.delivered == [5] and loop.sought == [{TOPIC: 6}]
    await loop.batch(6, 7, 8, 9)
    assert loop.delivered == [5, 6, 7, 8, 9]


async def test_records_deleted_by_retention_are_passed_once_its_own_seek_shows_them_gone(
    loop: Loop,
) -> None:
    sought(loop.consumer, {TOPIC: 0})  # sought to 0 by a rebalance; the log now begins at 40
    await loop.batch(40, 41)  # possibly fetched before that seek: sought again
    assert loop.delivered == [] and loop.sought == [{TOPIC: 0}]
    await loop.batch(40, 41)  # fetched after the fetch loop's own seek: 0-39 are gone
    assert loop.delivered == [40, 41]


async def test_records_fetched_from_the_new_position_before_the_seek_is_known_are_sought_again(
    loop: Loop,
) -> None:
    # Given a rebalance whose seek to 5 the client made before this consumer learnt of it: 5-7
    # are fetched meanwhile and held back (the partition has no expected offset yet)
    await loop.batch(5, 6, 7)
    sought(loop.consumer, {TOPIC: 5})
    # Then 8-9 do not pass for the first records after that seek: 5 is fetched again
    await loop.batch(8, 9)
    assert loop.delivered == [] and loop.sought == [{TOPIC: 5}]
    await loop.batch(5, 6, 7, 8, 9)
    assert loop.delivered == [5, 6, 7, 8, 9]


async def test_a_seek_begun_before_a_reassignment_sets_no_expected_offset(loop: Loop) -> None:
    epoch = loop.consumer._epoch
    loop.consumer._reassigned()
    loop.consumer._expect({TOPIC: 5}, epoch)
    await loop.batch(5, 6)
    assert loop.delivered == [] and loop.sought == []


async def test_records_fetched_before_a_seek_made_meanwhile_are_not_delivered(
    loop: Loop,
) -> None:
    sought(loop.consumer, {TOPIC: 5})
    await loop.batch(5, 6)
    # When a rewind seeks back to 3 while a batch of 7, 8 is being fetched
    await loop.batch(7, 8, during=lambda: sought(loop.consumer, {TOPIC: 3}))
    # Then those are not delivered; 3 onward comes next
    assert loop.delivered == [5, 6] and loop.sought == [{TOPIC: 3}]
    await loop.batch(3, 4, 5, 6, 7)
    assert loop.delivered == [5, 6, 3, 4, 5, 6, 7]


async def test_records_below_the_expected_offset_are_not_delivered_again(loop: Loop) -> None:
    sought(loop.consumer, {TOPIC: 10})  # sought forward (a committed offset another owner made)
    await loop.batch(8, 9, 10, 11)
    assert loop.delivered == [10, 11]


async def test_with_the_flow_stopped_a_hole_is_left_to_the_seek_that_follows(
    loop: Loop, monkeypatch: pytest.MonkeyPatch
) -> None:
    sought(loop.consumer, {TOPIC: 5})
    await loop.batch(5)
    monkeypatch.setattr(loop.consumer, "flow_active", False)  # a rewind or a rebalance
    await loop.batch(7, 8)
    assert loop.delivered == [5] and loop.sought == []


async def test_records_dropped_before_a_seek_is_seen_through_are_sought_again(
    loop: Loop,
) -> None:
    # Given a seek to 5, and a batch that fetched 5-6 but handed none on (the flow stopped)
    sought(loop.consumer, {TOPIC: 5})
    await loop.batch(upto=6)
    # Then 5 is sought again: a 7 that comes next must not pass for the first record after it
    assert loop.sought == [{TOPIC: 5}]
    await loop.batch(5, 6, 7)
    assert loop.delivered == [5, 6, 7]


async def test_partitions_are_held_back_independently(loop: Loop) -> None:
    sought(loop.consumer, {TOPIC: 5, OTHER: 0})
    await loop.batch(5)
    await loop.batch(7, 8)  # TOPIC lost 6
    await loop.batch(0, 1, tp=OTHER)
    assert loop.delivered == [5, 0, 1] and loop.sought == [{TOPIC: 6}]


async def test_changelog_records_are_not_checked(
    loop: Loop, monkeypatch: pytest.MonkeyPatch
) -> None:
    changelogs = {"t.stock-levels-changelog"}
    monkeypatch.setattr(type(app.tables), "changelog_topics", property(lambda _: changelogs))
    changelog = TP("t.stock-levels-changelog", 0)
    await loop.batch(3, 9, tp=changelog)
    assert loop.delivered == [3, 9] and loop.sought == []


def test_the_app_runs_on_the_ordered_consumer_and_this_flow_control() -> None:
    assert isinstance(app.flow_control, FlowControl)
    assert isinstance(app.consumer, OrderedConsumer)
