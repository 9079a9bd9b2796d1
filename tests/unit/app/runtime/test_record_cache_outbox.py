"""The record cache and the outbox order together: a handler's events wait for a flush of its
writes (soon, not the next commit), handlers in one loop turn share it, and a revoke that drops
the writes drops their events without failing anything."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest
from faust.types import TP

from app.runtime import futures, outbox, record_cache
from app.runtime.outbox import Lane, Outgoing
from app.runtime.record_cache import CachedStore
from app.runtime.sends import failed_sends, keep_until_acked, unacked_sends
from domain import envelope
from domain.envelope import Envelope
from domain.messages import StockUnavailable
from tests.unit.app.runtime.cached_store import FakeTable, in_partition, sent, store

__all__ = ["store"]  # the fixture


class AckedTable(FakeTable):
    """Each flush's ack is a future the test resolves (the broker's answer)."""

    def __init__(self) -> None:
        super().__init__()
        self.acks: list[asyncio.Future[None]] = []

    def send_flush(self, partition: int, records: list[tuple[bytes, bytes | None]]) -> Any:
        super().send_flush(partition, records)
        ack: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.acks.append(ack)
        return keep_until_acked(ack)  # as the worker's producer does with every send


@pytest.fixture()
def acked(store: CachedStore) -> Iterator[CachedStore]:
    store.table = AckedTable()  # type: ignore[assignment]
    yield store
    unacked_sends.clear()
    failed_sends.clear()


async def turns(n: int = 5) -> None:
    for _ in range(n):
        await asyncio.sleep(0)


class Events:
    def __init__(self) -> None:
        self.sent: list[str] = []

    async def send(self, env: Outgoing) -> None:
        assert isinstance(env, Envelope)
        self.sent.append(str(env.data["orderId"]))


def an_event(order: str) -> Envelope:
    body = StockUnavailable(orderId=order, userId="u-1", sku="sku-x", requested=1, available=0)
    return envelope.build(body, correlation_id=order)


async def nobody(env: Outgoing, exc: BaseException) -> None:
    raise AssertionError(f"{env!r} refused: {exc!r}")


def a_lane(partition: int) -> tuple[Events, Lane, object]:
    """A handler's lane, its events recorded, inside a record of ``partition`` (keep the third:
    the current event, held weakly by Faust)."""
    events = Events()
    return events, Lane(events.send), in_partition(partition)


async def handled(
    lane: Lane,
    store: CachedStore,
    key: bytes,
    value: bytes,
    order: str | None,
    *,
    waits: bool = True,
) -> None:
    """One record handled in ``lane``: it writes ``key`` and, given an ``order``, sends an event."""
    async with lane.holding(nobody, waits=waits):
        store[key] = value
        if order is not None:
            assert outbox.hold(an_event(order))


async def test_a_handlers_events_wait_for_a_flush_of_its_writes_without_a_commit(
    acked: CachedStore,
) -> None:
    events, lane, ev = a_lane(1)
    await handled(lane, acked, b"o-1", b"reserved", "o-1")
    assert sent(acked) == [] and events.sent == []  # held in memory, the event with it
    await turns()  # one loop turn later the partition waited for is flushed, no commit needed
    assert sent(acked) == [(1, b"o-1", b"reserved")] and events.sent == []
    table = acked.table
    assert isinstance(table, AckedTable)
    table.acks[0].set_result(None)  # the broker has the decision: now its event may leave
    await turns()
    assert events.sent == ["o-1"]
    del ev


async def test_handlers_in_one_loop_turn_share_one_flush_one_record_per_key(
    acked: CachedStore,
) -> None:
    events, lane, ev = a_lane(0)
    for n in range(3):  # three records of the same key, handled before the loop turns
        await handled(lane, acked, b"sku-mouse", f"level {n}".encode(), f"o-{n}")
    await turns()
    assert sent(acked) == [(0, b"sku-mouse", b"level 2")]  # one record, the latest value
    table = acked.table
    assert isinstance(table, AckedTable)
    table.acks[0].set_result(None)
    await turns(30)  # each release waits for the one before it to hand its events over
    assert events.sent == ["o-0", "o-1", "o-2"]  # in the order the records were handled
    del ev


async def test_a_revoke_drops_the_writes_and_their_events_and_nothing_fails(
    acked: CachedStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(record_cache, "_flush_soon", lambda: None)  # the revoke comes first
    events, lane, ev = a_lane(2)
    await handled(lane, acked, b"o-9", b"created", "o-9")
    acked.revoke_partitions(acked.table, {TP("t-changelog", 2)})
    await turns()
    assert events.sent == [] and sent(acked) == []  # the next owner handles the record again
    assert not failed_sends and not unacked_sends  # a revoke, not a failure: commits go on
    # a record handled after the partition left: not written
    await handled(lane, acked, b"o-9", b"created", "o-9")
    record_cache.flush_all()
    await turns()
    assert events.sent == [] and sent(acked) == [] and record_cache.held() == 0
    acked.gone.discard(2)  # the partition is assigned here again (``on_rebalance``)
    await handled(lane, acked, b"o-10", b"created", "o-10")  # its lane works as before
    record_cache.flush_all()
    table = acked.table
    assert isinstance(table, AckedTable)
    table.acks[-1].set_result(None)
    await turns(10)
    assert events.sent == ["o-10"]
    del ev


async def test_a_partition_that_left_does_not_hide_a_write_refused_for_good() -> None:
    loop = asyncio.get_running_loop()
    left, refused = loop.create_future(), loop.create_future()
    left.set_exception(futures.Dropped("t/1 left"))
    refused.set_exception(RuntimeError("record too large"))
    with pytest.raises(RuntimeError, match="too large"):
        await futures.succeeded([left, refused])
    with pytest.raises(RuntimeError, match="too large"):
        await futures.all_of([left, refused])


async def test_a_handler_that_only_writes_waits_for_the_commit_until_events_wait_for_it(
    acked: CachedStore,
) -> None:
    _, lane, ev = a_lane(0)
    await handled(lane, acked, b"o-1", b"CREATED", None)  # an order's status, nothing sent
    await turns()
    assert sent(acked) == []  # held: the next commit flushes it, one record for many writes
    ev1 = in_partition(1)
    # the lane's next record sends: it waits for both
    await handled(lane, acked, b"o-2", b"CREATED", "o-2")
    await turns()
    assert sorted(sent(acked)) == [(0, b"o-1", b"CREATED"), (1, b"o-2", b"CREATED")]
    del ev, ev1


async def test_a_handler_that_replays_alike_sends_at_once_and_its_write_waits_for_the_commit(
    acked: CachedStore,
) -> None:
    # Given a lane of a handler that decides from its record and its own key only (the saga)
    events, lane, ev = a_lane(1)
    # When it writes and sends, Then the event leaves now, with no flush asked for
    await handled(lane, acked, b"o-1", b"AWAITING_PAYMENT", "o-1", waits=False)
    await turns()
    assert events.sent == ["o-1"] and sent(acked) == []
    assert record_cache.held() == 1  # the write is for the commit's flush
    # And a second step of the same key before the commit is still one changelog record
    await handled(lane, acked, b"o-1", b"CONFIRMED", "o-1", waits=False)
    await turns()
    record_cache.flush_all()  # the commit
    assert events.sent == ["o-1", "o-1"] and sent(acked) == [(1, b"o-1", b"CONFIRMED")]
    del ev


async def test_a_handler_that_replays_alike_sends_nothing_for_a_partition_that_left(
    acked: CachedStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(record_cache, "_flush_soon", lambda: None)
    events, lane, ev = a_lane(2)
    acked.revoke_partitions(acked.table, {TP("t-changelog", 2)})
    # a record handled after its partition's drain: its new owner decides it, not this worker
    await handled(lane, acked, b"o-9", b"AWAITING_STOCK", "o-9", waits=False)
    await turns()
    assert events.sent == [] and sent(acked) == [] and not failed_sends
    del ev
