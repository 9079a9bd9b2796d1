"""The outbox order (``app.runtime.outbox``): a handler's events leave only once its table writes
are acknowledged. The kill loop's case: a ``PlaceOrder`` rejected, its event on the broker, its
decision lost with the producer's buffer to a ``kill -9``; redelivered, it was created
(issue 17)."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import orjson
import pytest

from agents import inventory
from app.application import app
from app.runtime import intake, outbox
from app.runtime.outbox import Lane, Outgoing
from app.runtime.sends import failed_sends, unacked_sends
from app.topics import orders_events_topic
from domain import envelope
from domain.envelope import Envelope
from domain.messages import ReserveStock, StockUnavailable
from tests.support.wire import acked


def event(n: int) -> Envelope:
    body = StockUnavailable(orderId=f"o-{n}", userId="u-1", sku="sku-x", requested=1, available=0)
    return envelope.build(body, correlation_id=f"o-{n}")


class Producer:
    """Takes envelopes like ``intake._send_now``: each one's ack is a future the test resolves."""

    def __init__(self) -> None:
        self.sent: list[str] = []
        self.acks: list[asyncio.Future[None]] = []

    async def send(self, env: Outgoing) -> asyncio.Future[None]:
        assert isinstance(env, Envelope)
        self.sent.append(env.data["orderId"])
        ack: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.acks.append(ack)
        return ack


@pytest.fixture()
def producer() -> Any:
    yield Producer()
    unacked_sends.clear()
    failed_sends.clear()


async def nobody(env: Outgoing, exc: BaseException) -> None:
    raise AssertionError(f"{env!r} refused: {exc!r}")


async def settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


async def test_events_wait_for_the_write_that_decided_them(producer: Producer) -> None:
    lane = Lane(producer.send)
    write: asyncio.Future[None] = asyncio.get_running_loop().create_future()
    # Given a handler that sends an event, then writes its decision (the inventory's order)
    async with lane.holding(nobody):
        assert outbox.hold(event(1))
        outbox.wrote(write)
    await settle()
    # Then nothing is sent while the write is in the producer's buffer, and a commit would wait
    assert producer.sent == []
    assert len(unacked_sends) == 1
    # When the broker acknowledges the write, the event is sent
    write.set_result(None)
    await settle()
    assert producer.sent == ["o-1"]
    # and the commit still waits for the event's own ack
    assert len(unacked_sends) == 1
    producer.acks[0].set_result(None)
    await settle()
    assert not unacked_sends and not failed_sends


async def one_event_behind_a_write(producer: Producer) -> tuple[Lane, asyncio.Future[None]]:
    """A lane whose handler sent one event and wrote once, that write not yet acknowledged."""
    lane = Lane(producer.send)
    write: asyncio.Future[None] = asyncio.get_running_loop().create_future()
    async with lane.holding(nobody):
        outbox.hold(event(1))
        outbox.wrote(write)
    return lane, write


async def test_a_write_refused_for_good_sends_nothing_and_stops_the_commits(
    producer: Producer,
) -> None:
    _, write = await one_event_behind_a_write(producer)
    write.set_exception(RuntimeError("MessageSizeTooLarge"))
    await settle()
    assert producer.sent == []
    assert failed_sends and "MessageSizeTooLarge" in failed_sends[0]


async def test_a_lane_sends_in_the_order_its_records_were_handled(producer: Producer) -> None:
    lane = Lane(producer.send)
    write: asyncio.Future[None] = asyncio.get_running_loop().create_future()
    async with lane.holding(nobody):  # record 1 wrote a decision
        outbox.hold(event(1))
        outbox.wrote(write)
    async with lane.holding(nobody):  # record 2 wrote nothing: still behind record 1
        outbox.hold(event(2))
    await settle()
    assert producer.sent == []
    write.set_result(None)
    await settle()
    assert producer.sent == ["o-1", "o-2"]


async def test_a_handler_that_wrote_nothing_sends_at_once(producer: Producer) -> None:
    lane = Lane(producer.send)
    async with lane.holding(nobody):
        outbox.hold(event(1))
        assert producer.sent == []  # held until the handler returns
    assert producer.sent == ["o-1"]
    assert lane.tail is None  # no task: the agent awaited the send itself, as before


async def test_a_handler_that_fails_after_writing_still_sends_what_it_decided(
    producer: Producer,
) -> None:
    lane = Lane(producer.send)
    write: asyncio.Future[None] = asyncio.get_running_loop().create_future()
    with pytest.raises(TimeoutError):
        async with lane.holding(nobody):
            outbox.hold(event(1))
            outbox.wrote(write)
            raise TimeoutError("the gateway, after the write")
    write.set_result(None)
    await settle()
    assert producer.sent == ["o-1"]  # its write stands, so do the events decided with it


async def test_after_a_write_refused_for_good_the_lane_sends_nothing_more(
    producer: Producer,
) -> None:
    lane = Lane(producer.send)
    write: asyncio.Future[None] = asyncio.get_running_loop().create_future()
    async with lane.holding(nobody):  # record 1: its decision is refused by the broker
        outbox.hold(event(1))
        outbox.wrote(write)
    async with lane.holding(nobody):  # record 2 may build on record 1's (local) decision
        outbox.hold(event(2))
    write.set_exception(RuntimeError("NotEnoughReplicas, for good"))
    await settle()
    assert producer.sent == []


async def test_a_record_that_only_wrote_still_holds_the_next_ones_events(
    producer: Producer,
) -> None:
    lane = Lane(producer.send)
    write: asyncio.Future[None] = asyncio.get_running_loop().create_future()
    async with lane.holding(nobody):  # record 1 writes, sends nothing
        outbox.wrote(write)
    async with lane.holding(nobody):  # record 2 answers from record 1's write
        outbox.hold(event(2))
    await settle()
    assert producer.sent == []
    write.set_result(None)
    await settle()
    assert producer.sent == ["o-2"]


async def test_a_release_cancelled_by_a_stop_leaves_its_writes_pending_and_says_so(
    producer: Producer,
) -> None:
    lane, write = await one_event_behind_a_write(producer)
    [release] = lane.pending
    release.cancel()  # mode cancels what is left at a worker's stop
    await settle()
    assert not write.cancelled()  # still unacknowledged: no clean-stop marker on that
    assert failed_sends == ["stopped with 1 events unsent"]


async def test_an_event_refused_for_good_goes_to_the_refused_handler(producer: Producer) -> None:
    kept: list[str] = []

    async def too_large(env: Outgoing) -> asyncio.Future[None]:
        raise ValueError("MessageSizeTooLarge")

    async def dead_letter(env: Outgoing, exc: BaseException) -> None:
        assert isinstance(env, Envelope)
        kept.append(f"{env.data['orderId']}: {exc}")

    lane = Lane(too_large)
    write: asyncio.Future[None] = asyncio.get_running_loop().create_future()
    async with lane.holding(dead_letter):
        outbox.hold(event(1))
        outbox.wrote(write)
    write.set_result(None)
    await settle()
    assert kept == ["o-1: MessageSizeTooLarge"]
    assert not unacked_sends and not failed_sends  # the record is kept in the DLQ, not crashed on


async def test_outside_a_handler_nothing_is_held() -> None:
    assert outbox.hold(event(1)) is False


@pytest.mark.usefixtures("memory_store")
async def test_the_inventory_agent_answers_only_after_its_ledger_write_is_acknowledged(
    monkeypatch: pytest.MonkeyPatch, producer: Producer
) -> None:
    """The agent, in Faust's test context: its table writes go to the producer's buffer (whose
    futures the test holds), its events to ``orders.events`` (captured)."""
    writes: list[asyncio.Future[Any]] = []
    answers: list[str] = []

    async def to_orders_events(
        topic: Any, key: bytes, value: bytes, headers: Any = None
    ) -> asyncio.Future[None]:
        assert topic is orders_events_topic
        answers.append(orjson.loads(value)["eventType"])
        return acked()

    monkeypatch.setattr(app.producer, "send_soon", writes.append)
    monkeypatch.setattr(intake, "send_record", to_orders_events)
    order = f"o-{uuid.uuid4()}"
    cmd = ReserveStock(orderId=order, userId="u-1", sku=f"sku-{uuid.uuid4().hex[:8]}", quantity=1)
    value = envelope.dumps(envelope.build(cmd, correlation_id=order))
    async with inventory.manage_inventory.test_context() as agent:
        put = await agent.put(key=cmd.sku.encode(), value=value)
        assert agent.results[put.message.offset] == "applied"
        await settle()
        # the sku is unknown: StockUnavailable, decided with a ledger write still unacknowledged
        assert writes and answers == []
        for write in writes:
            write.set_result(None)
        await settle()
        assert answers == ["StockUnavailable"]
