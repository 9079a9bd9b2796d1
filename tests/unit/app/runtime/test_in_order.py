"""``InOrder``: a record cache's flush of one partition goes to the client as batches, one future
for all of it (tracked until acked, done with the offset of its last record), and the flushes of
one partition are handed over in the order they were made, also when the client makes one wait."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pytest
from aiokafka.errors import MessageSizeTooLargeError

from app.runtime.sends import InOrder, failed_sends, unacked_sends


class Batch:
    def __init__(self, room: int) -> None:
        self.room, self.records = room, []  # type: ignore[var-annotated]

    def append(self, *, key: bytes, value: bytes | None, timestamp: None) -> object | None:
        if self.records and len(self.records) >= self.room:
            return None  # full (the first record always goes in, as aiokafka's builder does)
        self.records.append((key, value))
        return object()


class Client:
    """aiokafka's ``create_batch`` and ``send_batch``; a test opens ``room`` to let one in."""

    def __init__(self, batch_records: int = 100) -> None:
        self.batch_records = batch_records
        self._max_request_size = 1000  # aiokafka's setting, read as ``AIOKafkaProducer.send`` does
        self.handed: list[tuple[str, int, list[tuple[bytes, bytes | None]]]] = []
        self.acks: list[asyncio.Future[Any]] = []
        self.rooms: dict[int, asyncio.Event] = {}  # a partition's hand-over waits for its room

    def create_batch(self) -> Batch:
        return Batch(self.batch_records)

    async def send_batch(self, batch: Batch, topic: str, *, partition: int) -> Any:
        if (room := self.rooms.get(partition)) is not None:
            await room.wait()
        self.handed.append((topic, partition, batch.records))
        self.acks.append(asyncio.get_running_loop().create_future())
        return self.acks[-1]

    def ack_all(self, base: int = 0) -> None:
        """Every batch not acked yet, in the order handed over, from offset ``base``."""
        for ack, (_, _, records) in zip(self.acks, self.handed, strict=True):
            if not ack.done():
                ack.set_result(SimpleNamespace(offset=base))
                base += len(records)


@pytest.fixture(autouse=True)
def clean() -> Iterator[None]:
    yield
    unacked_sends.clear()
    failed_sends.clear()


def records(*keys: str) -> list[tuple[bytes, bytes | None]]:
    return [(k.encode(), f"v-{k}".encode()) for k in keys]


async def test_a_flush_is_handed_over_as_few_batches_one_future_with_its_last_offset() -> None:
    client = Client(batch_records=2)
    landed = InOrder().send(client, "t-changelog", 1, records("a", "b", "c"))
    assert landed in unacked_sends  # a commit waits for it
    await asyncio.sleep(0)
    assert client.handed == [
        ("t-changelog", 1, records("a", "b")),
        ("t-changelog", 1, records("c")),
    ]
    assert not landed.done()  # not before the broker has every batch
    client.ack_all(base=40)
    assert await landed == 42  # a, b at 40 and 41, c at 42
    assert landed not in unacked_sends


async def test_a_partitions_flushes_are_handed_over_in_their_order_when_one_waits() -> None:
    client, sender = Client(), InOrder()
    room = client.rooms[0] = asyncio.Event()  # the client's queue for the partition is full
    first = sender.send(client, "t-changelog", 0, records("k"))
    await asyncio.sleep(0)
    second = sender.send(client, "t-changelog", 0, [(b"k", None)])  # it runs next …
    room.set()  # … and finds room before the first waiter has run again: it must not pass
    for _ in range(5):
        await asyncio.sleep(0)
    assert [r for _, _, r in client.handed] == [records("k"), [(b"k", None)]]  # the latest last
    client.ack_all()
    assert (await first, await second) == (0, 1)


async def test_other_partitions_do_not_wait_for_each_other() -> None:
    client, sender = Client(), InOrder()
    client.rooms[0] = asyncio.Event()  # partition 0 has no room
    waiting = sender.send(client, "t-changelog", 0, records("a"))
    other = sender.send(client, "t-changelog", 2, records("c"))
    await asyncio.sleep(0)
    assert client.handed == [("t-changelog", 2, records("c"))]
    client.ack_all()
    assert await other == 0 and not waiting.done()
    client.rooms[0].set()
    await asyncio.sleep(0)
    client.ack_all(base=5)
    assert await waiting == 5


async def test_a_refused_flush_fails_its_future_and_the_next_one_still_goes() -> None:
    client, sender = Client(), InOrder()
    first = sender.send(client, "t-changelog", 0, records("a"))
    second = sender.send(client, "t-changelog", 0, records("b"))
    for _ in range(3):
        await asyncio.sleep(0)
    client.acks[0].set_exception(RuntimeError("MessageSizeTooLarge"))
    client.acks[1].set_result(SimpleNamespace(offset=7))
    with pytest.raises(RuntimeError, match="MessageSizeTooLarge"):
        await first
    assert await second == 7
    await asyncio.sleep(0)
    assert failed_sends == ["RuntimeError('MessageSizeTooLarge')"]  # the commit refuses to pass


async def test_a_record_over_the_request_size_fails_its_flush_before_any_hand_over() -> None:
    client, sender = Client(), InOrder()
    refused = sender.send(client, "t-changelog", 0, [*records("a"), (b"big", b"x" * 2000)])
    with pytest.raises(MessageSizeTooLargeError):
        await refused
    assert client.handed == []  # no sequence number spent on a batch the broker refuses
    after = sender.send(client, "t-changelog", 0, records("b"))
    for _ in range(5):
        await asyncio.sleep(0)
    client.ack_all()
    assert await after == 0


async def test_a_flush_cancelled_before_it_began_does_not_hold_the_next() -> None:
    client, sender = Client(), InOrder()
    sender.send(client, "t-changelog", 0, records("a")).cancel()
    after = sender.send(client, "t-changelog", 0, records("b"))
    for _ in range(5):
        await asyncio.sleep(0)
    assert client.handed == [("t-changelog", 0, records("b"))]
    client.ack_all()
    assert await after == 0


async def test_a_new_client_waits_for_the_flush_before_to_be_on_the_broker() -> None:
    old, new, sender = Client(), Client(), InOrder()
    first = sender.send(old, "t-changelog", 0, records("a"))
    second = sender.send(new, "t-changelog", 0, records("a"))  # the producer restarted
    for _ in range(3):
        await asyncio.sleep(0)
    assert old.handed and not new.handed  # handed over is not enough across clients
    old.ack_all()
    assert await first == 0
    for _ in range(3):
        await asyncio.sleep(0)
    new.ack_all(base=1)
    assert await second == 1


def test_an_empty_flush_is_a_bug_said_at_once() -> None:
    with pytest.raises(ValueError, match="empty flush"):
        InOrder().send(Client(), "t-changelog", 0, [])
