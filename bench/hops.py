"""Latency hop by hop: where the time from ``POST /orders`` to CONFIRMED seen by a long-poll goes.

Each hop ends when the next record of the order was handed to a producer: the record's own
timestamp (CreateTime, set by the producer's client on one machine, one clock; millisecond
resolution). The first hop starts when the client sent its POST and the last ends when its
long-poll saw CONFIRMED (the bench's own wall clock). A hop therefore holds the fetch of the
record before it, its handling, the waits of the outbox order (the table write's ack before the
event leaves) and the linger of the send. Records are read back from the topics after the run:
no tracing exporter, no cost on the workers' side.
"""

from __future__ import annotations

import asyncio
import itertools
import math
import time
from collections.abc import Iterable
from typing import Any

import orjson
from aiokafka import AIOKafkaConsumer, TopicPartition

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


async def _read(system: System, since: dict[TopicPartition, int]) -> dict[str, dict[str, float]]:
    """Per order, the first time each step was handed to a producer (epoch seconds)."""
    consumer = AIOKafkaConsumer(bootstrap_servers=system.bootstrap, group_id=None,
                                enable_auto_commit=False)  # fmt: skip
    await consumer.start()
    seen: dict[str, dict[str, float]] = {}
    wanted = {t: {e for topic, e in STEPS if system.topic(topic) == t} for t in _topics(system)}
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
    return seen


def _topics(system: System) -> list[str]:
    return sorted({system.topic(t) for t, _ in STEPS})


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


def summary(hops: Iterable[list[float]]) -> list[dict[str, Any]]:
    out = []
    for name, values in zip(HOPS, hops, strict=True):
        ordered = sorted(values)

        def pct(p: float, ordered: list[float] = ordered) -> float | None:
            return round(ordered[min(len(ordered) - 1, int(p * len(ordered)))] * 1000, 1) \
                if ordered else None  # fmt: skip

        out.append({"hop": name, "orders": len(ordered), "p50Ms": pct(0.5), "p99Ms": pct(0.99)})
    return out


def measure(system: System, marks: Marks, since: dict[TopicPartition, int]) -> list[dict[str, Any]]:
    """p50/p99 of every hop for the orders in ``marks`` (records written after ``since``)."""
    return summary(per_hop(marks, asyncio.run(_read(system, since))))
