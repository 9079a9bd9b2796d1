"""One trace from POST /orders to OrderConfirmed, through every agent's shell (no broker)."""

from __future__ import annotations

import asyncio
import uuid

import orjson
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from agents import payments
from app.observability import tracing
from app.topics import BY_NAME, by_user_topic, logical_name
from domain import envelope
from domain.messages import (
    AuthorizePayment,
    LineItem,
    PlaceOrder,
)
from tests.support.wire import Sent, Shop
from views.http.bodies import publish

pytestmark = pytest.mark.usefixtures("memory_store")


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
    assert [s.event_type for s in delivered if s.topic in BY_NAME] == [
        "PlaceOrder", "OrderCreated", "ReserveStock", "StockReserved", "AuthorizePayment",
        "PaymentAuthorized", "CommitStock", "OrderConfirmed",
    ]  # fmt: skip
    # and OrderCreated crossed the by-user repartition too (the user's totals count it)
    regrouped = [s for s in delivered if s.topic not in BY_NAME]
    assert [(s.topic, s.event_type) for s in regrouped] == [
        (logical_name(by_user_topic), "OrderCreated")
    ]
    assert all(s.headers and s.headers["traceparent"] for s in delivered)
    # and every span of it is in the one trace the request started
    finished = spans.get_finished_spans()
    root = by_name(finished)["POST /orders"]
    assert root.kind is SpanKind.SERVER and root.parent is None
    assert {span.context.trace_id for span in finished} == {root.context.trace_id}
    # with each step the child of the send that caused it
    names = by_name(finished)
    regrouped_topic = logical_name(by_user_topic)
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
        # the by-user repartition's copy, named after the topic it was read from
        ("process orders.events OrderCreated", f"process {regrouped_topic} OrderCreated"),
    ]
    for parent, child in chain:
        caused_by = names[child].parent
        assert caused_by is not None, child
        assert caused_by.span_id == names[parent].context.span_id, (parent, child)
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
        wanted = {command.orderId for _, command in commands}
        for _ in range(200):
            if wanted <= {orjson.loads(s.value)["data"]["orderId"] for s in wire}:
                break
            await asyncio.sleep(0.01)
    # Then each answer carries the trace of its own command, not of another task's
    answers = {orjson.loads(s.value)["data"]["orderId"]: s for s in wire}
    assert len(wire) == len(commands) and answers.keys() == wanted
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
