"""``RewindingConsumer``: no commit past records never handled (causes 7 and 9 in
docs/liveness.md), against Faust's offset bookkeeping. No broker: the consumer is built, never
started; the rewind itself is recorded, or run against recorded seeks."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from faust.types import TP
from intervaltree import Interval  # type: ignore[import-untyped]

from app.application import app
from app.runtime.durability import DurableConsumer
from app.runtime.sends import keep_until_acked, unacked_sends

TOPIC = TP("t.orders.commands", 1)
OTHER = TP("t.carts.events", 0)


@pytest.fixture()
def consumer(monkeypatch: pytest.MonkeyPatch) -> Any:
    c = app.consumer
    assert isinstance(c, DurableConsumer)
    for book in (c._acked, c._acked_index, c._committed_offset, c._gap, c._log_start):
        book.clear()
    monkeypatch.setattr(c, "flow_active", True)
    monkeypatch.setattr(type(app), "rebalancing", False)
    yield c
    c._rewinding = None
    unacked_sends.clear()


@pytest.fixture()
def rewinds(consumer: Any, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Each rewind the consumer starts (no broker here)."""
    started: list[str] = []

    async def rewind() -> None:
        started.append("rewind")

    monkeypatch.setattr(consumer, "_rewind", rewind)
    return started


def acked(consumer: Any, tp: TP, offsets: range) -> None:
    consumer._acked[tp].extend(offsets)
    consumer._acked_index[tp].update(offsets)


async def refused_then_committed(consumer: Any, rewinds: list[str], again: range) -> None:
    """The next commit finds no offset and the worker rewinds; once ``again`` is acknowledged
    (the records came again, in order), the commit is made up to its end."""
    assert consumer._filter_committable_offsets([TOPIC]) == {}
    await asyncio.sleep(0)
    assert rewinds == ["rewind"]
    acked(consumer, TOPIC, again)
    assert consumer._filter_committable_offsets([TOPIC]) == {TOPIC: again.stop}


async def test_a_first_commit_after_skipped_records_is_refused_and_rewound(
    consumer: Any, rewinds: list[str]
) -> None:
    # Given a never-committed partition whose first record is 0, and records 75-79 acknowledged
    # (0-74 taken and dropped around a rebalance: the kill loop's 75 orders never placed)
    consumer._log_start[TOPIC] = 0
    acked(consumer, TOPIC, range(75, 80))
    # Then no commit and a rewind; once 0-79 are acknowledged again, it commits them
    await refused_then_committed(consumer, rewinds, again=range(0, 80))


async def test_a_first_commit_from_the_first_record_is_made(
    consumer: Any, rewinds: list[str]
) -> None:
    consumer._log_start[TOPIC] = 40  # retention deleted what came before
    acked(consumer, TOPIC, range(40, 45))
    assert consumer._filter_committable_offsets([TOPIC]) == {TOPIC: 45}
    assert rewinds == []


@pytest.mark.parametrize("dropped", [1, 2])
async def test_a_commit_after_records_skipped_past_the_committed_offset_is_refused(
    consumer: Any, rewinds: list[str], dropped: int
) -> None:
    # Given a partition committed at 17, whose records 17.. were taken and dropped around a
    # rebalance (the soak's run 9: 17-18 dropped, 510 acknowledged after them, no commit for
    # 67 s; Faust passes a hole of one record: that one would have been committed past)
    consumer._committed_offset[TOPIC] = 17
    acked(consumer, TOPIC, range(17 + dropped, 40))
    # Then no commit and a rewind; once they come again from 17, it commits them
    await refused_then_committed(consumer, rewinds, again=range(17, 40))


async def test_a_gap_after_handled_records_is_not_committed_past(
    consumer: Any, rewinds: list[str]
) -> None:
    # Given records 22-29 dropped mid-batch by a stopped flow: the fetch loop marks the hole as
    # a gap when 30 comes, and Faust's commit counts a gap as handled
    consumer._committed_offset[TOPIC] = 17
    acked(consumer, TOPIC, range(17, 22))
    consumer._gap[TOPIC].add(Interval(22, 30))
    acked(consumer, TOPIC, range(30, 40))
    # Then nothing is committed past 22-29, and the worker rewinds
    assert consumer._filter_committable_offsets([TOPIC]) == {}
    await asyncio.sleep(0)
    assert rewinds == ["rewind"]


async def test_during_a_rebalance_skipped_records_block_the_commit_without_a_rewind(
    consumer: Any, rewinds: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(type(app), "rebalancing", True)
    consumer._committed_offset[TOPIC] = 17
    acked(consumer, TOPIC, range(19, 40))
    assert consumer._filter_committable_offsets([TOPIC]) == {}  # the next owner starts at 17
    await asyncio.sleep(0)
    assert rewinds == []


async def test_a_commit_that_follows_the_committed_offset_is_made(
    consumer: Any, rewinds: list[str]
) -> None:
    consumer._committed_offset[TOPIC] = 17
    acked(consumer, TOPIC, range(17, 25))
    assert consumer._filter_committable_offsets([TOPIC]) == {TOPIC: 25}
    assert rewinds == []


async def test_a_rewind_seeks_every_partition_back_and_passes_what_retention_deleted(
    consumer: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given two partitions: one committed at 17, one committed at 5 whose log now starts at 40
    consumer._committed_offset[TOPIC] = 17
    consumer._committed_offset[OTHER] = 5
    consumer._gap[OTHER].add(Interval(6, 40))
    sought: list[dict[TP, int]] = []

    async def starts(tps: list[TP]) -> dict[TP, int]:
        return {TOPIC: 0, OTHER: 40}

    async def seek_to(offsets: dict[TP, int]) -> None:
        assert not consumer.flow_active  # the fetch loop is stopped while it seeks
        sought.append(dict(offsets))

    monkeypatch.setattr(consumer, "_inputs", lambda: [TOPIC, OTHER])
    monkeypatch.setattr(consumer, "_starts", starts)
    monkeypatch.setattr(consumer, "_seek_to", seek_to)
    # When it rewinds
    await consumer._rewind()
    # Then both go back to their committed offsets, the deleted one to its first record, which
    # is now its committed offset (nothing below it can be handled), and the fetch loop resumes
    assert sought == [{TOPIC: 17, OTHER: 40}]
    assert consumer._committed_offset[OTHER] == 40 and not consumer._gap[OTHER]
    assert consumer.flow_active


async def test_a_skipped_commit_of_a_never_committed_partition_comes_again_whole(
    consumer: Any, rewinds: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("app.runtime.durability.COMMIT_WAIT", 0.01)
    consumer._log_start[TOPIC] = 0
    acked(consumer, TOPIC, range(0, 5))
    pending: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
    keep_until_acked(pending)  # a send not acknowledged: the commit is skipped
    assert await consumer._commit_tps([TOPIC], start_new_transaction=False) is False
    acked(consumer, TOPIC, range(5, 8))
    assert consumer._filter_committable_offsets([TOPIC]) == {TOPIC: 8}
    assert rewinds == []  # all of 0-4 given back, not only the last
