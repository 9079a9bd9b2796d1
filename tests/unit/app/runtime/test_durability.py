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
from app.runtime.committed import committed_offset
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


@pytest.mark.parametrize("broker_commits", [True, False])
async def test_the_offset_known_committed_moves_only_with_a_commit_the_broker_made(
    consumer: Any, monkeypatch: pytest.MonkeyPatch, broker_commits: bool
) -> None:
    """Faust moves its ``_committed_offset`` on a commit the broker refused too (a rebalance
    under way); what ``committed_offset`` answers does not move then."""

    async def nothing(*args: Any) -> None:
        return None

    async def commit(offsets: Any) -> bool:
        return broker_commits

    monkeypatch.setattr(consumer, "assignment", lambda: {TOPIC})
    monkeypatch.setattr(consumer, "_commit", commit)
    monkeypatch.setattr(app.producer, "flush", nothing)
    monkeypatch.setattr(app.tables, "on_commit", lambda offsets: None)
    monkeypatch.setattr(consumer, "_on_broker", {TOPIC: 10})
    consumer._committed_offset[TOPIC] = 10
    acked(consumer, TOPIC, range(10, 20))
    assert await consumer._commit_tps([TOPIC], start_new_transaction=False) is broker_commits
    assert consumer._committed_offset[TOPIC] == 20  # Faust's, either way
    assert committed_offset(consumer, TOPIC) == (20 if broker_commits else 10)


async def test_the_offset_known_committed_is_the_brokers_after_a_seek(
    consumer: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    other = TP("t.orders.commands", 2)

    async def on_broker() -> dict[TP, int | None]:
        return {TOPIC: 7, other: None}  # (the driver's answer; none committed for ``other``)

    monkeypatch.setattr(faust_kafka.Consumer, "seek_to_committed", lambda self: on_broker())
    monkeypatch.setattr(consumer, "_on_broker", {TOPIC: 30, other: 5})
    await consumer.seek_to_committed()
    assert (committed_offset(consumer, TOPIC), committed_offset(consumer, other)) == (7, None)
