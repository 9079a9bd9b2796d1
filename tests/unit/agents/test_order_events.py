"""The tracker in its agent (``follow-order-events``) in Faust's test context (memory store, no
broker), with the other handlers of that agent left out."""

from __future__ import annotations

import asyncio
import uuid

import orjson
import pytest

from agents import order_events
from app.application import app
from app.runtime import failures
from app.runtime.errors import DependencyUnavailable
from app.topics import orders_dlq_topic
from domain import simulation
from tables.order_status import order_statuses
from tests.support.retries import Fast


@pytest.fixture()
def dead_letters(monkeypatch: pytest.MonkeyPatch) -> list[dict]:
    """What the agent sends to orders.dlq (no broker in a unit test)."""
    sent: list[dict] = []

    async def capture(*, key: bytes | None, value: bytes, headers: dict[str, bytes]) -> None:
        sent.append({"key": key, "headers": headers, **orjson.loads(value)})

    monkeypatch.setattr(orders_dlq_topic, "send", capture)
    return sent


@pytest.fixture(autouse=True)
def tracker_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """The agent runs the tracker alone (the saga and the repartition have tests of their own)."""
    monkeypatch.setattr(order_events, "FOLLOWERS", (order_events.track,))


pytestmark = pytest.mark.usefixtures("memory_store")


def order_created() -> tuple[str, bytes]:
    rec = next(iter(simulation.orders(1, seed=uuid.uuid4().int)))
    return rec.key, rec.value


async def test_valid_event_becomes_status() -> None:
    key, value = order_created()
    async with order_events.follow_order_events.test_context() as agent:
        event = await agent.put(key=key.encode(), value=value)
        assert agent.results[event.message.offset] == "applied"
    status = order_statuses.get(key)
    assert status is not None and status.status == "CREATED"
    assert [e.type for e in status.events] == ["OrderCreated"]


async def test_redelivered_event_changes_nothing() -> None:
    key, value = order_created()
    async with order_events.follow_order_events.test_context() as agent:
        await agent.put(key=key.encode(), value=value)
        first = order_statuses.get(key)
        await agent.put(key=key.encode(), value=value)
    assert order_statuses.get(key) == first
    assert first is not None and len(first.events) == 1


async def test_corrupt_record_goes_to_dlq_and_agent_keeps_going(dead_letters: list[dict]) -> None:
    key, value = order_created()
    async with order_events.follow_order_events.test_context() as agent:
        bad = await agent.put(key=b"k-1", value=b'{"eventId": 1')
        assert agent.results[bad.message.offset] == "dead-lettered"
        await agent.put(key=key.encode(), value=value)
    assert len(dead_letters) == 1
    letter = dead_letters[0]
    assert letter["key"] == b"k-1" and letter["failureReason"] == "deserialization"
    assert letter["originalPayload"] == '{"eventId": 1' and letter["consumerGroup"] == app.conf.id
    assert order_statuses.get(key) is not None


async def test_a_rule_that_throws_is_dead_lettered_not_skipped(
    dead_letters: list[dict], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a table write that fails once (a bug, a full disk …)
    real_put, calls = order_statuses.put, []

    def failing_once(key: str, status: object) -> None:
        calls.append(status)
        if len(calls) == 1:
            raise OSError("disk full")
        real_put(key, status)  # type: ignore[arg-type]

    monkeypatch.setattr(order_statuses, "put", failing_once)
    first, second = order_created(), order_created()
    async with order_events.follow_order_events.test_context() as agent:
        # When two events arrive
        one = await agent.put(key=first[0].encode(), value=first[1])
        two = await agent.put(key=second[0].encode(), value=second[1])
        # Then the first is kept on the DLQ as a processing failure and the second is applied
        assert agent.results[one.message.offset] == "dead-lettered"
        assert agent.results[two.message.offset] == "applied"
    assert [d["failureReason"] for d in dead_letters] == ["processing"]
    assert dead_letters[0]["errorMessage"] == "OSError: disk full"
    assert order_statuses.get(first[0]) is None and order_statuses.get(second[0]) is not None


async def test_a_transient_failure_is_retried_then_applied(
    dead_letters: list[dict], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(failures, "settings", Fast())
    real_put, calls = order_statuses.put, []

    def failing_twice(key: str, status: object) -> None:
        calls.append(status)
        if len(calls) <= 2:
            raise DependencyUnavailable("the store is busy")
        real_put(key, status)  # type: ignore[arg-type]

    monkeypatch.setattr(order_statuses, "put", failing_twice)
    key, value = order_created()
    async with order_events.follow_order_events.test_context() as agent:
        event = await agent.put(key=key.encode(), value=value)
        assert agent.results[event.message.offset] == "applied"
    assert len(calls) == 3 and dead_letters == []
    assert order_statuses.get(key) is not None


async def test_a_failure_that_stays_is_dead_lettered_after_the_retries(
    dead_letters: list[dict], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(failures, "settings", Fast())
    calls = []

    def always(key: str, status: object) -> None:
        calls.append(key)
        raise DependencyUnavailable("the store is down")

    monkeypatch.setattr(order_statuses, "put", always)
    key, value = order_created()
    async with order_events.follow_order_events.test_context() as agent:
        event = await agent.put(key=key.encode(), value=value)
        assert agent.results[event.message.offset] == "dead-lettered"
    assert len(calls) == 4  # the first try and ORDERS_RETRY_MAX retries
    [letter] = dead_letters
    assert letter["failureReason"] == "processing" and letter["retryCount"] == 3
    assert letter["errorMessage"] == "DependencyUnavailable: the store is down"
    assert letter["headers"]["dlq-reason"] == b"processing"
    assert letter["headers"]["dlq-id"] == letter["id"].encode()


async def test_a_handler_that_hangs_is_a_timeout(
    dead_letters: list[dict], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(failures, "settings", Fast(retry_max=1, handler_timeout=0.05))

    async def hangs(parsed: object) -> None:
        await asyncio.sleep(10)

    monkeypatch.setattr(order_events, "FOLLOWERS", (hangs,))
    key, value = order_created()
    async with order_events.follow_order_events.test_context() as agent:
        event = await agent.put(key=key.encode(), value=value)
        assert agent.results[event.message.offset] == "dead-lettered"
    [letter] = dead_letters
    assert letter["failureReason"] == "timeout" and letter["retryCount"] == 1
    assert letter["errorMessage"] == "TimeoutError"


async def test_a_status_written_wakes_the_long_polls_of_its_order() -> None:
    from views.orders import status_waiters  # the view subscribes its waiters to the table

    # Given a reader waiting for news of an order
    key, value = order_created()
    waiting = asyncio.create_task(status_waiters.changed(key, timeout=5))
    await asyncio.sleep(0)
    # When the agent applies the order's event, Then the reader is woken before its timeout
    async with order_events.follow_order_events.test_context() as agent:
        await agent.put(key=key.encode(), value=value)
    assert await waiting is True
