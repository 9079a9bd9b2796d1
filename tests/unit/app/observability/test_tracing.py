"""One trace from POST /orders to OrderConfirmed, through every agent's shell (no broker)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import AsyncExitStack
from dataclasses import dataclass
from typing import Any

import orjson
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from agents import inventory, orders, payments, saga, users
from app.adapters import catalog
from app.application import app
from app.observability import tracing
from app.topics import BY_NAME
from domain import envelope
from domain.messages import (
    AuthorizePayment,
    CatalogItem,
    LineItem,
    PlaceOrder,
    RestockItem,
    UserRegistered,
)
from views.http.bodies import publish

AGENTS = {
    "orders.commands": orders.handle_orders,
    "orders.events": saga.run_order_saga,
    "inventory.commands": inventory.manage_inventory,
    "payments.commands": payments.process_payments,
    "users.events": users.maintain_users,
}


@dataclass(frozen=True)
class Sent:
    topic: str
    key: bytes
    value: bytes
    headers: dict[str, bytes] | None

    @property
    def event_type(self) -> str:
        return str(orjson.loads(self.value)["eventType"])


@pytest.fixture(autouse=True, scope="module")
def memory_store() -> None:
    app.conf.store = "memory://"  # before the tables' stores are first used
    app.finalize()
    app.flow_control.resume()


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
    """Every record sent to a business topic, with its headers, instead of a broker."""
    sent: list[Sent] = []
    for name, topic in BY_NAME.items():

        async def capture(
            *, key: bytes, value: bytes, headers: Any = None, name: str = name, **_: Any
        ) -> asyncio.Future[None]:
            sent.append(Sent(name, key, value, dict(headers) if headers else None))
            done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            done.set_result(None)
            return done

        monkeypatch.setattr(topic, "send", capture)
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
        wire.clear()
        yield shop


@dataclass
class Shop:
    contexts: dict[str, Any]
    wire: list[Sent]
    user: str
    sku: str

    async def deliver(self, until: str) -> list[Sent]:
        """Feed every captured record, headers included as aiokafka delivers them (a list of
        (str, bytes)), to the agent reading its topic, until ``until`` has been sent."""
        delivered: list[Sent] = []
        while self.wire and not any(s.event_type == until for s in delivered):
            record = self.wire.pop(0)
            delivered.append(record)
            if record.topic in self.contexts:
                headers = list((record.headers or {}).items())
                await self.contexts[record.topic].put(
                    key=record.key, value=record.value, headers=headers
                )
        return delivered


async def post_order(user: str, sku: str, headers: dict[str, str] | None = None) -> None:
    """POST /orders through the tracing middleware, publishing PlaceOrder as the view does."""

    async def place(request: web.Request) -> web.Response:
        command = PlaceOrder(
            orderId=str(uuid.uuid4()), userId=user, currency="EUR",
            items=[LineItem(sku=sku, quantity=1)],
        )  # fmt: skip
        await publish(command)
        return web.json_response({}, status=202)

    web_app = web.Application(middlewares=[tracing.traced_writes])
    web_app.router.add_post("/orders", place)
    async with TestClient(TestServer(web_app)) as client:
        answer = await client.post("/orders", headers=headers)
        assert answer.status == 202


def by_name(finished: tuple[ReadableSpan, ...]) -> dict[str, ReadableSpan]:
    return {span.name: span for span in finished}


async def test_one_trace_from_post_orders_to_order_confirmed(
    spans: InMemorySpanExporter, shop: Shop
) -> None:
    # Given a customer, a sku in the catalog and its stock
    spans.clear()
    # When an order is posted and each record goes to the agent that reads its topic
    await post_order(shop.user, shop.sku)
    delivered = await shop.deliver(until="OrderConfirmed")
    # Then the chain ran to OrderConfirmed, every record carrying a trace context
    assert [s.event_type for s in delivered] == [
        "PlaceOrder", "OrderCreated", "ReserveStock", "StockReserved", "AuthorizePayment",
        "PaymentAuthorized", "CommitStock", "OrderConfirmed",
    ]  # fmt: skip
    assert all(s.headers and s.headers["traceparent"] for s in delivered)
    # and every span of it is in the one trace the request started
    finished = spans.get_finished_spans()
    root = by_name(finished)["POST /orders"]
    assert root.kind is SpanKind.SERVER and root.parent is None
    assert {span.context.trace_id for span in finished} == {root.context.trace_id}
    # with each step the child of the send that caused it
    names = by_name(finished)
    chain = [
        ("POST /orders", "send orders.commands PlaceOrder"),
        ("send orders.commands PlaceOrder", "process orders.commands PlaceOrder"),
        ("process orders.commands PlaceOrder", "send orders.events OrderCreated"),
        ("send orders.events OrderCreated", "process orders.events OrderCreated"),
        ("process orders.events OrderCreated", "send inventory.commands ReserveStock"),
        ("send inventory.commands ReserveStock", "process inventory.commands ReserveStock"),
        ("process inventory.commands ReserveStock", "send orders.events StockReserved"),
        ("send orders.events StockReserved", "process orders.events StockReserved"),
        ("process orders.events StockReserved", "send payments.commands AuthorizePayment"),
        ("send payments.commands AuthorizePayment", "process payments.commands AuthorizePayment"),
        ("process payments.commands AuthorizePayment", "send orders.events PaymentAuthorized"),
        ("send orders.events PaymentAuthorized", "process orders.events PaymentAuthorized"),
        ("process orders.events PaymentAuthorized", "send orders.events OrderConfirmed"),
    ]
    for parent, child in chain:
        assert names[child].parent is not None, child
        assert names[child].parent.span_id == names[parent].context.span_id, (parent, child)
    assert names["process payments.commands AuthorizePayment"].kind is SpanKind.CONSUMER
    assert names["send orders.events OrderConfirmed"].kind is SpanKind.PRODUCER


async def test_a_client_traceparent_is_continued(spans: InMemorySpanExporter, shop: Shop) -> None:
    spans.clear()
    client_trace = "4bf92f3577b34da6a3ce929d0e0e4736"
    parent = f"00-{client_trace}-00f067aa0ba902b7-01"
    await post_order(shop.user, shop.sku, headers={"traceparent": parent})
    [place] = shop.wire
    assert place.headers is not None
    assert place.headers["traceparent"].decode().split("-")[1] == client_trace
    assert {format(s.context.trace_id, "032x") for s in spans.get_finished_spans()} == {
        client_trace
    }


async def test_concurrent_payments_keep_their_own_traces(
    spans: InMemorySpanExporter, wire: list[Sent]
) -> None:
    # Given payment commands of three orders, each sent in a trace of its own
    commands = []
    for n in range(3):
        command = AuthorizePayment(
            orderId=f"o-{uuid.uuid4().hex[:8]}", userId="u-1", amount="10.00", currency="EUR",
            tier="standard",
        )  # fmt: skip
        commands.append((f"{n + 1:032x}", command))
    async with payments.process_payments.test_context() as agent:
        # When they are put without waiting, so the agent handles them in one concurrent batch
        for trace_id, command in commands:
            env = envelope.dumps(envelope.build(command, correlation_id=command.orderId))
            parent = f"00-{trace_id}-{'1' * 16}-01".encode()
            await agent.put(
                key=command.orderId.encode(), value=env, headers=[("traceparent", parent)],
                wait=False,
            )  # fmt: skip
        for _ in range(200):
            if len(wire) == len(commands):
                break
            await asyncio.sleep(0.01)
    # Then each answer carries the trace of its own command, not of another task's
    answers = {orjson.loads(s.value)["data"]["orderId"]: s for s in wire}
    assert len(answers) == len(commands)
    for trace_id, command in commands:
        headers = answers[command.orderId].headers
        assert headers is not None
        assert headers["traceparent"].decode().split("-")[1] == trace_id
    assert len({s.context.trace_id for s in spans.get_finished_spans()}) == len(commands)


async def test_tracing_off_sends_no_headers(shop: Shop) -> None:
    await post_order(shop.user, shop.sku)
    delivered = await shop.deliver(until="OrderConfirmed")
    assert delivered[-1].event_type == "OrderConfirmed"
    assert [s.headers for s in delivered] == [None] * len(delivered)


def test_a_request_forwarded_to_the_owner_carries_the_trace(spans: InMemorySpanExporter) -> None:
    assert tracing.http_headers() == {}  # outside any span: nothing to carry
    with tracing.producing("orders.commands", "PlaceOrder"):
        forwarded = tracing.http_headers()
    [span] = spans.get_finished_spans()
    trace_id, span_id = forwarded["traceparent"].split("-")[1:3]
    assert (trace_id, span_id) == (
        format(span.context.trace_id, "032x"),
        format(span.context.span_id, "016x"),
    )
    tracing.use(None)
    with tracing.producing("orders.commands", "PlaceOrder"):
        assert tracing.http_headers() == {}
