"""Two worker processes, console exporter: one order's trace spans both workers' logs."""

from __future__ import annotations

import json
import uuid
from typing import Any

import httpx
from aiokafka.partitioner import murmur2

from tests.support.shop import outcome, register, restock, unique
from tests.support.system import System, Worker, eventually

PARTITIONS = 3


def partition(key: str) -> int:
    return (murmur2(key.encode()) & 0x7FFFFFFF) % PARTITIONS


def owned(worker: Worker, topic: str) -> set[int]:
    assigned = worker.get("/health").json()["assignedPartitions"]
    return {int(p.rsplit("/", 1)[1]) for p in assigned if p.rsplit("/", 1)[0] == topic}


def spans(worker: Worker, trace_id: str) -> list[dict[str, Any]]:
    """The spans of one trace the console exporter wrote to the worker's log, one JSON a line."""
    found = []
    for line in worker.log_path.read_text(errors="replace").splitlines():
        if trace_id not in line or "{" not in line:
            continue
        span = json.loads(line[line.index("{") :])
        if span.get("context", {}).get("trace_id") == f"0x{trace_id}":
            found.append(span)
    return found


def test_one_order_is_one_trace_across_two_workers(system: System) -> None:
    # Given two workers exporting spans to their logs, each owning some partitions
    system.settings.update(ORDERS_TRACE_EXPORTER="console", OTEL_BSP_SCHEDULE_DELAY="200")
    w1, w2 = system.start_worker(), system.start_worker()
    w1.wait_ready()
    w2.wait_ready()
    commands, stock = system.topic("orders.commands"), system.topic("inventory.commands")
    eventually(lambda: owned(w1, commands) and owned(w2, commands), 60)
    # and a customer whose commands one worker handles, and a sku whose stock the other one keeps
    user = register(w1)
    handler = w1 if partition(user) in owned(w1, commands) else w2
    other = w2 if handler is w1 else w1
    sku = next(
        s for s in (unique("sku") for _ in range(100)) if partition(s) in owned(other, stock)
    )
    restock(w1, 5, 10.0, sku=sku)
    # When the client posts an order in a trace of its own
    trace_id = uuid.uuid4().hex
    body = {"userId": user, "items": [{"sku": sku, "quantity": 1}], "currency": "EUR"}
    traceparent = f"00-{trace_id}-{uuid.uuid4().hex[:16]}-01"
    resp = httpx.post(w1.url + "/orders", json=body, headers={"traceparent": traceparent})
    assert resp.status_code == 202, resp.text
    assert outcome(w1, resp.json()["orderId"])["status"] == "CONFIRMED"
    # Then that trace's spans, from POST /orders to OrderConfirmed, are in both workers' logs
    chain = {
        "POST /orders",
        "send orders.commands PlaceOrder",
        "process orders.commands PlaceOrder",
        "process inventory.commands ReserveStock",
        "process payments.commands AuthorizePayment",
        "send orders.events OrderConfirmed",
    }

    def one_tree() -> bool:
        one, two = spans(w1, trace_id), spans(w2, trace_id)
        assert one and two, f"spans logged: {len(one)} by one worker, {len(two)} by the other"
        every = one + two
        assert chain <= {s["name"] for s in every}
        by_id = {s["context"]["span_id"]: s for s in every}
        # and every span but the client's child hangs under a span of the same trace (a parent
        # may be logged after its child: each worker's exporter writes its spans every 200 ms)
        roots = [s["name"] for s in every if s["parent_id"] not in by_id]
        assert roots == ["POST /orders"]
        return True

    eventually(one_tree, 30)
    assert {s["name"] for s in spans(handler, trace_id)} >= {"process orders.commands PlaceOrder"}
    assert {s["name"] for s in spans(other, trace_id)} >= {
        "process inventory.commands ReserveStock"
    }
