"""``DurableConsumer``'s commit rule against Faust's offset bookkeeping (no broker: the consumer
is built, never started; nothing reaches ``super()._commit_offsets`` in these tests)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from faust.transport.drivers import aiokafka as faust_kafka
from faust.types import TP

from app.application import app
from app.runtime import durability
from app.runtime.durability import DurableConsumer
from app.runtime.sends import keep_until_acked, unacked_sends

TOPIC = TP("t.orders.commands", 1)


@pytest.fixture()
def consumer(monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setattr(durability, "COMMIT_WAIT", 0.01)
    c = app.consumer
    assert isinstance(c, DurableConsumer)
    c._acked.clear()
    c._acked_index.clear()
    c._committed_offset.clear()
    yield c
    unacked_sends.clear()


def acked(consumer: Any, tp: TP, offsets: range) -> None:
    consumer._acked[tp].extend(offsets)
    consumer._acked_index[tp].update(offsets)


async def test_a_commit_skipped_for_an_unacked_send_is_made_by_the_next_commit(
    consumer: Any,
) -> None:
    # Given a partition committed up to 10, records 10-19 handled and acknowledged
    consumer._committed_offset[TOPIC] = 10
    acked(consumer, TOPIC, range(10, 20))
    # and a send made while handling them that the broker has not acknowledged
    pending: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
    keep_until_acked(pending)
    # When a commit runs: it is skipped, nothing committed
    assert await consumer._commit_tps([TOPIC], start_new_transaction=False) is False
    assert consumer._committed_offset[TOPIC] == 10
    # Then the next commit finds the same offset to commit (Faust had dropped it: None, for good)
    assert consumer._filter_committable_offsets([TOPIC]) == {TOPIC: 20}


async def test_a_skipped_commit_of_a_never_committed_partition_comes_again(consumer: Any) -> None:
    acked(consumer, TOPIC, range(0, 5))
    pending: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
    keep_until_acked(pending)
    assert await consumer._commit_tps([TOPIC], start_new_transaction=False) is False
    acked(consumer, TOPIC, range(5, 8))  # and more records handled meanwhile
    assert consumer._filter_committable_offsets([TOPIC]) == {TOPIC: 8}


@pytest.fixture()
def restarts(consumer: Any, monkeypatch: pytest.MonkeyPatch) -> list[list[TP]]:
    """The partitions the consumer seeks back to their first record (no broker here)."""
    sought: list[list[TP]] = []

    async def record(tps: list[TP]) -> None:
        sought.append(tps)

    async def back(tp: TP, committed: int) -> None:
        sought.append([tp])

    monkeypatch.setattr(consumer, "_from_the_start", record)
    monkeypatch.setattr(consumer, "_back_to_committed", back)
    monkeypatch.setattr(consumer, "flow_active", True)
    consumer._gap.clear()
    consumer._log_start.clear()
    return sought


async def test_a_first_commit_after_skipped_records_is_refused_and_sought_back(
    consumer: Any, restarts: list[list[TP]]
) -> None:
    # Given a never-committed partition whose first record is 0, and records 75-79 acknowledged
    # (0-74 taken and dropped around a rebalance: the kill loop's 75 orders never placed)
    consumer._log_start[TOPIC] = 0
    acked(consumer, TOPIC, range(75, 80))
    # When the next commit looks for an offset: none, and the partition goes back to record 0
    assert consumer._filter_committable_offsets([TOPIC]) == {}
    await asyncio.sleep(0)
    assert restarts == [[TOPIC]]
    assert consumer.flow_active  # the fetch loop stopped for the seek, and resumed
    # And once 0-79 are acknowledged again, it commits them
    acked(consumer, TOPIC, range(0, 80))
    assert consumer._filter_committable_offsets([TOPIC]) == {TOPIC: 80}


async def test_a_first_commit_from_the_first_record_is_made(
    consumer: Any, restarts: list[list[TP]]
) -> None:
    consumer._log_start[TOPIC] = 40  # retention deleted what came before
    acked(consumer, TOPIC, range(40, 45))
    assert consumer._filter_committable_offsets([TOPIC]) == {TOPIC: 45}
    assert restarts == []


@pytest.mark.parametrize("dropped", [1, 2])
async def test_a_commit_after_records_skipped_past_the_committed_offset_is_refused(
    consumer: Any, restarts: list[list[TP]], dropped: int
) -> None:
    # Given a partition committed at 17, whose records 17.. were taken and dropped around a
    # rebalance (the soak's run 9: 17-18 dropped, 510 acknowledged after them, no commit for
    # 67 s; Faust passes a hole of one record: that one would have been committed past)
    consumer._committed_offset[TOPIC] = 17
    acked(consumer, TOPIC, range(17 + dropped, 40))
    # When the next commit looks for an offset: none, and the partition goes back to 17
    assert consumer._filter_committable_offsets([TOPIC]) == {}
    await asyncio.sleep(0)
    assert restarts == [[TOPIC]]
    # And once they come again from 17, it commits them
    acked(consumer, TOPIC, range(17, 40))
    assert consumer._filter_committable_offsets([TOPIC]) == {TOPIC: 40}


async def test_a_commit_that_follows_the_committed_offset_is_made(
    consumer: Any, restarts: list[list[TP]]
) -> None:
    consumer._committed_offset[TOPIC] = 17
    acked(consumer, TOPIC, range(17, 25))
    assert consumer._filter_committable_offsets([TOPIC]) == {TOPIC: 25}
    assert restarts == []


async def test_a_seek_that_waits_rereads_from_the_offset_sought(
    consumer: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a changelog partition the fetch loop read up to offset 8 (it drops records below
    # its read offset as already read)
    changelog = TP("orders-stock-levels-changelog", 2)
    consumer._read_offset[changelog] = 8
    consumer._read_offset[TOPIC] = 30

    async def sought(self: Any, partitions: Any) -> None:
        return None

    monkeypatch.setattr(faust_kafka.Consumer, "seek_wait", sought)
    # When recovery seeks it back to its first record, and another partition to 12
    await consumer.seek_wait({changelog: 0, TOPIC: 12})
    # Then the records from there are delivered again, the first one included (the soak's
    # stock level that a standby never had: its record 0 dropped as "already read")
    assert consumer._read_offset[changelog] is None
    assert consumer._read_offset[TOPIC] == 12
