"""The chain of agents in Faust's test context, on a wire kept in memory, traced into memory."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import AsyncExitStack
from typing import Any

import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from agents import aggregates, inventory, order_events, orders, payments, users
from app.adapters import catalog
from app.application import app
from app.observability import tracing
from app.runtime import intake
from app.topics import BY_NAME, by_user_topic, logical_name
from domain import envelope
from domain.messages import CatalogItem, RestockItem, UserRegistered
from tests.support.wire import Sent, Shop, acked, released

AGENTS = {
    "orders.commands": orders.handle_orders,
    "orders.events": order_events.follow_order_events,
    "inventory.commands": inventory.manage_inventory,
    "payments.commands": payments.process_payments,
    "users.events": users.maintain_users,
    logical_name(by_user_topic): aggregates.aggregate_users,
}


@pytest.fixture()
def spans() -> Iterator[InMemorySpanExporter]:
    """Tracing on, into memory; off again after the test."""
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracing.use(provider)
    try:
        yield exporter
    finally:
        tracing.use(None)


@pytest.fixture()
def wire(monkeypatch: pytest.MonkeyPatch) -> list[Sent]:
    """Every record sent to a business topic, with its headers, instead of a broker; every table
    write acknowledged at once (a handler's events wait for that: ``app.runtime.outbox``)."""
    sent: list[Sent] = []

    def acked_at_once(fut: asyncio.Future[Any]) -> None:
        fut.set_result(None)

    monkeypatch.setattr(app.producer, "send_soon", acked_at_once)
    for name, topic in BY_NAME.items():  # a record repaired to its partition

        async def capture(
            *, key: bytes, value: bytes, headers: Any = None, name: str = name, **_: Any
        ) -> asyncio.Future[None]:
            sent.append(Sent(name, key, value, dict(headers) if headers else None))
            return acked()

        monkeypatch.setattr(topic, "send", capture)

    async def capture_record(
        topic: Any, key: bytes, value: bytes, headers: Any = None
    ) -> asyncio.Future[None]:  # every event a handler sends
        sent.append(Sent(logical_name(topic), key, value, dict(headers) if headers else None))
        return acked()

    monkeypatch.setattr(intake, "send_record", capture_record)
    return sent


@pytest.fixture()
async def shop(wire: list[Sent]) -> AsyncIterator[Shop]:
    """Every agent of the chain in its test context, with a customer and a stocked, priced sku."""
    async with AsyncExitStack() as stack:
        contexts = {
            topic: await stack.enter_async_context(agent.test_context())
            for topic, agent in AGENTS.items()
        }
        shop = Shop(contexts, wire, f"u-{uuid.uuid4().hex[:8]}", f"sku-{uuid.uuid4().hex[:8]}")
        registered = UserRegistered(userId=shop.user, name="Ada", email="ada@example.com")
        restock = RestockItem(sku=shop.sku, quantity=5, name="Keyboard", unitPrice="89.90")
        for body in (registered, restock):
            env = envelope.build(body, correlation_id=None)
            await contexts[body.stream].put(key=envelope.key_of(body).encode(),
                                            value=envelope.dumps(env))  # fmt: skip
        catalog.catalog[shop.sku] = CatalogItem(sku=shop.sku, name="Keyboard", unitPrice="89.90")
        catalog.caught_up.set()
        await released()
        wire.clear()
        yield shop
        await released()  # nothing of this test reaches the next one's wire
