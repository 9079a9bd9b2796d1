"""Latency hop by hop: where the time from ``POST /orders`` to CONFIRMED seen by a long-poll goes.

Each hop ends when the next record of the order was handed to a producer: the record's own
timestamp (CreateTime, set by the producer's client on one machine, one clock; millisecond
resolution). The first hop starts when the client sent its POST and the last ends when its
long-poll saw CONFIRMED (the bench's own wall clock). A hop therefore holds the fetch of the
record before it, its handling, the waits of the outbox order (the table write's ack before the
event leaves) and the linger of the send. Records are read back from the topics after the run:
no tracing exporter, no cost on the workers' side.

Each hop that decides also writes a table (``DECIDED_IN``), and its changelog record carries the
time of the flush that sent it: the part of the hop after it is the wait for that record's ack
(the outbox order) and the event's own send; the part before it is the fetch of the record, its
delivery through Faust and its handling.
"""

from __future__ import annotations

import asyncio
import itertools
import math
import time
from collections.abc import Iterable
from typing import Any

import orjson
from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition

from bench.kafka import options
from bench.measure import Offsets
from tests.support.system import System

# (topic, eventType) in the order one confirmed order passes them
STEPS = (
    ("orders.commands", "PlaceOrder"),
    ("orders.events", "OrderCreated"),
    ("inventory.commands", "ReserveStock"),
    ("orders.events", "StockReserved"),
    ("payments.commands", "AuthorizePayment"),
    ("orders.events", "PaymentAuthorized"),
    ("orders.events", "OrderConfirmed"),
)
HOPS = (
    f"POST → {STEPS[0][1]}",
    *(f"{a} → {b}" for (_, a), (_, b) in itertools.pairwise(STEPS)),
    f"{STEPS[-1][1]} → seen by the long-poll",
)
# per hop, the table whose write decides it (keyed by orderId; stock levels by sku, holding the
# orders they reserve for); None: none
DECIDED_IN = (None, "order-decisions", "sagas", "stock-levels", "sagas", "payment-records",
              "sagas", None)  # fmt: skip
Flushes = dict[str, dict[str, list[float]]]  # table -> orderId -> its changelog records' times
Marks = dict[str, tuple[float, float]]  # orderId -> (POST sent, CONFIRMED seen), epoch seconds


async def ends(system: System) -> dict[TopicPartition, int]:
    """Where the steps' topics end now: what a run after this writes comes after."""
    offsets = Offsets(system.bootstrap, _topics(system))
    await offsets.start()
    try:
        assert offsets.consumer is not None and offsets.partitions is not None
        if missing := set(_topics(system)) - {tp.topic for tp in offsets.partitions}:
            raise RuntimeError(f"no metadata for {sorted(missing)}: no hop can be measured")
        return dict(await offsets.consumer.end_offsets(offsets.partitions))
    finally:
        await offsets.stop()


async def _read(
    system: System, since: dict[TopicPartition, int]
) -> tuple[dict[str, dict[str, float]], Flushes]:
    """Per order, the first time each step was handed to a producer (epoch seconds), and the
    times of its deciding tables' changelog records."""
    consumer = AIOKafkaConsumer(**options(), bootstrap_servers=system.bootstrap, group_id=None,
                                enable_auto_commit=False)  # fmt: skip
    await consumer.start()
    seen: dict[str, dict[str, float]] = {}
    flushes: Flushes = {}
    wanted = {t: {e for topic, e in STEPS if system.topic(topic) == t} for t in _topics(system)}
    tables = {topic: table for table, topic in _changelogs(system).items()}
    try:
        consumer.assign(list(since))
        for tp, offset in since.items():
            consumer.seek(tp, offset)
        stop = await consumer.end_offsets(list(since))
        left = {tp for tp in since if stop[tp] > since[tp]}
        deadline = time.monotonic() + 120
        while left and time.monotonic() < deadline:
            for tp, records in (await consumer.getmany(timeout_ms=1000)).items():
                for rec in records:
                    if (table := tables.get(tp.topic)) is not None:
                        _written(flushes.setdefault(table, {}), table, rec)
                        continue
                    event = orjson.loads(rec.value)
                    kind = event.get("eventType")
                    if kind in wanted[tp.topic] and (order := event["data"].get("orderId")):
                        steps = seen.setdefault(order, {})
                        steps[kind] = min(steps.get(kind, math.inf), rec.timestamp / 1000)
            left = {tp for tp in left if await consumer.position(tp) < stop[tp]}
        if left:
            raise RuntimeError(f"the steps' records were not all read in 120 s: {sorted(left)}")
    finally:
        await consumer.stop()
    return seen, flushes


def _written(orders: dict[str, list[float]], table: str, rec: ConsumerRecord) -> None:
    """A changelog record's time, under the orders it was written for."""
    at = rec.timestamp / 1000
    if table != "stock-levels":
        orders.setdefault(rec.key.decode(), []).append(at)
        return
    for order in orjson.loads(rec.value or b"{}").get("reservations", {}):
        orders.setdefault(order, [at])  # the first record that holds it: its reservation


def _changelogs(system: System) -> dict[str, str]:
    app_id = system.env["ORDERS_APP_ID"]
    return {t: f"{app_id}-{t}-changelog" for t in DECIDED_IN if t is not None}


def _topics(system: System) -> list[str]:
    return sorted({system.topic(t) for t, _ in STEPS} | set(_changelogs(system).values()))


def per_hop(marks: Marks, seen: dict[str, dict[str, float]]) -> list[list[float]]:
    """Each hop's durations (seconds) over the orders that passed every step."""
    hops: list[list[float]] = [[] for _ in HOPS]
    for order, (posted, confirmed) in marks.items():
        at = seen.get(order, {})
        if any(kind not in at for _, kind in STEPS):
            continue  # not confirmed on the happy path: not part of this table
        times = [posted, *(at[kind] for _, kind in STEPS), confirmed]
        for n, (a, b) in enumerate(itertools.pairwise(times)):
            hops[n].append(b - a)
    return hops


def after_the_write(marks: Marks, seen: dict[str, dict[str, float]],
                    flushes: Flushes) -> list[list[float]]:  # fmt: skip
    """Per hop, its time after the deciding table's changelog record was handed to the producer:
    that record's ack (the outbox order), then the event's send. The deciding record is the last
    one in the hop (a saga written for each of several StockReserved decides at the last one).
    Empty for hops without one."""
    after: list[list[float]] = [[] for _ in HOPS]
    for order, (posted, confirmed) in marks.items():
        at = seen.get(order, {})
        if any(kind not in at for _, kind in STEPS):
            continue
        times = [posted, *(at[kind] for _, kind in STEPS), confirmed]
        for n, table in enumerate(DECIDED_IN):
            start, end = times[n], times[n + 1]
            written = [t for t in flushes.get(table or "", {}).get(order, ()) if start <= t <= end]
            if written:
                after[n].append(end - max(written))
    return after


def _pct(values: list[float], p: float) -> float | None:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(p * len(ordered)))] * 1000, 1) \
        if ordered else None  # fmt: skip


def summary(
    hops: Iterable[list[float]], after: Iterable[list[float]] | None = None
) -> list[dict[str, Any]]:
    waits = list(after) if after is not None else [[] for _ in HOPS]
    return [{"hop": name, "orders": len(values), "p50Ms": _pct(values, 0.5),
             "p99Ms": _pct(values, 0.99), "afterWriteP50Ms": _pct(wait, 0.5)}
            for name, values, wait in zip(HOPS, hops, waits, strict=True)]  # fmt: skip


def measure(system: System, marks: Marks, since: dict[TopicPartition, int]) -> list[dict[str, Any]]:
    """p50/p99 of every hop for the orders in ``marks`` (records written after ``since``), and
    the p50 of its part after the deciding table write."""
    seen, flushes = asyncio.run(_read(system, since))
    return summary(per_hop(marks, seen), after_the_write(marks, seen, flushes))
