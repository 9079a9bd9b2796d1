"""``send_record``: the bytes to the worker's producer as they are, Faust's send sensors kept,
the client's own ack future returned (the producer tracks it until the broker has it)."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any

import pytest

from app.runtime.sends import send_record


class Sensors:
    def __init__(self) -> None:
        self.calls: list[tuple[Any, ...]] = []

    def on_send_initiated(self, producer: Any, topic: str, message: Any, ks: int, vs: int) -> str:
        self.calls.append(("initiated", topic, ks, vs))
        return "state"

    def on_send_completed(self, producer: Any, state: Any, metadata: Any) -> None:
        self.calls.append(("completed", state, metadata))

    def on_send_error(self, producer: Any, exc: BaseException, state: Any) -> None:
        self.calls.append(("error", state, repr(exc)))


class Producer:
    def __init__(self) -> None:
        self.sent: list[tuple[Any, ...]] = []
        self.futures: list[asyncio.Future[Any]] = []

    async def send(self, *args: Any) -> asyncio.Future[Any]:
        self.sent.append(args)
        self.futures.append(asyncio.get_running_loop().create_future())
        return self.futures[-1]


@pytest.fixture()
def topic() -> Any:
    app = SimpleNamespace(producer=Producer(), sensors=Sensors())
    return SimpleNamespace(app=app, get_topic_name=lambda: "orders.events")


async def test_the_record_goes_as_it_is_and_its_ack_is_counted(topic: Any) -> None:
    headers = {"traceparent": b"00-ab"}
    fut = await send_record(topic, b"u-1", b"{}", headers)
    producer, sensors = topic.app.producer, topic.app.sensors
    assert producer.sent == [("orders.events", b"u-1", b"{}", None, None, headers)]
    assert fut is producer.futures[0]  # the client's future: tracked, awaited by the outbox
    assert sensors.calls == [("initiated", "orders.events", 3, 2)]
    fut.set_result("metadata")
    await asyncio.sleep(0)
    assert sensors.calls[-1] == ("completed", "state", "metadata")


async def test_a_refused_record_is_counted_as_a_send_error(topic: Any) -> None:
    fut = await send_record(topic, b"u-1", b"{}")
    fut.set_exception(RuntimeError("MessageSizeTooLarge"))
    await asyncio.sleep(0)
    assert topic.app.sensors.calls[-1] == ("error", "state", "RuntimeError('MessageSizeTooLarge')")
    fut.exception()  # read: the caller's tracking reads it in the app
