"""``follow-order-events``: one delivery of an ``orders.events`` record runs the saga, the tracker
and the by-user forward, each on its own (Faust's test context, memory store, no broker)."""

from __future__ import annotations

import asyncio
import uuid
from types import SimpleNamespace
from typing import Any

import orjson
import pytest
from aiokafka.errors import KafkaTimeoutError

from agents import aggregates, order_events
from app.application import app
from app.runtime import failures, intake
from app.topics import by_user_topic, logical_name, orders_dlq_topic
from domain import envelope, simulation
from domain.messages import OrderCreated, StockReserved
from tables.order_status import order_statuses
from tables.saga import sagas
from tests.support.retries import Fast
from tests.support.wire import Sent, acked, released

pytestmark = pytest.mark.usefixtures("memory_store")


@pytest.fixture()
def wire(monkeypatch: pytest.MonkeyPatch) -> list[Sent]:
    """What the handlers send, instead of a broker; every table write acknowledged at once."""
    sent: list[Sent] = []

    def acked_at_once(fut: asyncio.Future[Any]) -> None:
        fut.set_result(None)

    async def capture(topic: Any, key: bytes, value: bytes, headers: Any = None) -> Any:
        sent.append(Sent(logical_name(topic), key, value, dict(headers) if headers else None))
        return acked()

    monkeypatch.setattr(app.producer, "send_soon", acked_at_once)
    monkeypatch.setattr(intake, "send_record", capture)
    return sent


@pytest.fixture()
def dead_letters(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    sent: list[dict[str, Any]] = []

    async def capture(*, key: bytes | None, value: bytes, headers: dict[str, bytes]) -> None:
        sent.append(orjson.loads(value))

    monkeypatch.setattr(orders_dlq_topic, "send", capture)
    return sent


def order_created() -> tuple[OrderCreated, bytes]:
    rec = next(iter(simulation.orders(1, seed=uuid.uuid4().int)))
    env = envelope.parse(rec.value, "orders.events")
    assert isinstance(env, envelope.Parsed) and isinstance(env.body, OrderCreated)
    return env.body, rec.value


async def test_one_delivery_feeds_the_saga_the_tracker_and_the_repartition(
    wire: list[Sent],
) -> None:
    created, value = order_created()
    reserved = StockReserved(
        orderId=created.orderId, userId=created.userId, sku=created.items[0].sku, quantity=1
    )
    async with order_events.follow_order_events.test_context() as agent:
        first = await agent.put(key=created.orderId.encode(), value=value)
        second = await agent.put(
            key=created.orderId.encode(),
            value=envelope.dumps(envelope.build(reserved, correlation_id=created.orderId)),
        )
        assert agent.results[first.message.offset] == "applied"
        assert agent.results[second.message.offset] == "applied"
        await released()
    # the tracker: both events in the order's status
    status = order_statuses.get(created.orderId)
    assert status is not None and [e.type for e in status.events][:2] == [
        "OrderCreated", "StockReserved",
    ]  # fmt: skip
    # the saga: its state, and a ReserveStock per item sent for the OrderCreated
    state = sagas.get(created.orderId)
    assert state is not None and state.orderId == created.orderId
    stock = [s for s in wire if s.topic == "inventory.commands"]
    assert [s.event_type for s in stock] == ["ReserveStock"] * len(created.items)
    # the repartition: the OrderCreated as it came, keyed by its user; not the StockReserved
    regrouped = [s for s in wire if s.topic == logical_name(by_user_topic)]
    assert [(s.key, s.value) for s in regrouped] == [(created.userId.encode(), value)]


async def test_a_handler_that_fails_leaves_the_others_effects(
    wire: list[Sent], dead_letters: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(parsed: envelope.Parsed) -> None:
        raise ValueError("a bug in one handler")

    monkeypatch.setattr(order_events, "FOLLOWERS", (broken, order_events.track))
    created, value = order_created()
    async with order_events.follow_order_events.test_context() as agent:
        event = await agent.put(key=created.orderId.encode(), value=value)
        assert agent.results[event.message.offset] == "dead-lettered"
    # the failing handler's dead letter names it (replay leaves only its effect out) …
    [letter] = dead_letters
    assert letter["agent"] == "test_a_handler_that_fails_leaves_the_others_effects.<locals>.broken"
    assert letter["failureReason"] == "processing"
    # … and the tracker after it applied the event all the same
    status = order_statuses.get(created.orderId)
    assert status is not None and status.status == "CREATED"


async def test_each_handler_has_a_lane_of_its_own(wire: list[Sent]) -> None:
    # (the tracker's writes, which send nothing, then wait for the commit, not for the saga's)
    created, value = order_created()
    async with order_events.follow_order_events.test_context() as agent:
        event = await agent.put(key=created.orderId.encode(), value=value)
        await released()
    where = (event.message.topic, event.message.partition)
    lanes = {h: intake._lanes.get((h, *where)) for h in order_events.FOLLOWERS}
    assert all(lanes.values()) and len({id(lane) for lane in lanes.values()}) == 3


async def test_a_forward_the_broker_cannot_take_yet_is_retried_not_dead_lettered(
    wire: list[Sent], dead_letters: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(failures, "settings", Fast(retry_max=1, handler_timeout=0.05))
    capture = intake.send_record  # type: ignore[attr-defined]  # the wire's, patched in
    refusals: list[bytes] = []

    async def busy_once(topic: Any, key: bytes, value: bytes, headers: Any = None) -> Any:
        # more times than a handler is tried (ORDERS_RETRY_MAX + 1): the lane keeps trying
        if logical_name(topic) == logical_name(by_user_topic) and len(refusals) < 3:
            refusals.append(key)
            raise KafkaTimeoutError("the partition's leader is moving")
        return await capture(topic, key, value, headers)

    monkeypatch.setattr(intake, "send_record", busy_once)
    monkeypatch.setattr(order_events, "FOLLOWERS", (aggregates.regroup,))
    created, value = order_created()
    async with order_events.follow_order_events.test_context() as agent:
        event = await agent.put(key=created.orderId.encode(), value=value)
        assert agent.results[event.message.offset] == "applied"
        await released()
    assert refusals == [created.userId.encode()] * 3 and dead_letters == []
    regrouped = [s for s in wire if s.topic == logical_name(by_user_topic)]
    assert [(s.key, s.value) for s in regrouped] == [(created.userId.encode(), value)]


async def test_the_handlers_of_one_record_share_the_longest_handling_of_one(
    dead_letters: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given two handlers that hang, and a record's budget shorter than two tries of one
    monkeypatch.setattr(failures, "settings", Fast(retry_max=1, handler_timeout=0.05))
    monkeypatch.setattr(intake, "settings", SimpleNamespace(longest_handling=lambda: 0.06))

    async def first(parsed: envelope.Parsed) -> None:
        await asyncio.sleep(10)

    async def second(parsed: envelope.Parsed) -> None:
        await asyncio.sleep(10)

    monkeypatch.setattr(order_events, "FOLLOWERS", (first, second))
    created, value = order_created()
    async with order_events.follow_order_events.test_context() as agent:
        event = await agent.put(key=created.orderId.encode(), value=value)
        assert agent.results[event.message.offset] == "dead-lettered"
    # Then the first used the budget up (a try and a retry) and the second got no retry
    letters = {d["agent"].rsplit(".", 1)[-1]: d for d in dead_letters}
    assert {name: d["failureReason"] for name, d in letters.items()} == {
        "first": "timeout", "second": "timeout",
    }  # fmt: skip
    assert letters["first"]["retryCount"] == 1 and letters["second"]["retryCount"] == 0
