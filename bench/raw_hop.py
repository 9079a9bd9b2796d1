"""The floor of the hops on this machine and broker: a record produced, forwarded by plain aiokafka
(consumed in a group, produced with acks=all and the app's default linger, the ack not awaited),
and consumed again, one record at a time at a low rate. That is two Kafka legs (produce, append,
fetch) and a forward; a hop of the pipeline, from one record's producer timestamp to the next
one's, is one leg plus its handling and the outbox's wait for the deciding table write's ack.
The bench prints it beside the hops so that they read against it in the same run."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from app.runtime.performance import PRODUCER
from bench.kafka import options

LINGER_MS = int(PRODUCER["producer_linger"] * 1000)


async def _forward(bootstrap: str, source: str, sink: str, ready: asyncio.Event) -> None:
    consumer = AIOKafkaConsumer(source, **options(), bootstrap_servers=bootstrap,
                                group_id=f"{source}-fwd", auto_offset_reset="earliest")  # fmt: skip
    producer = AIOKafkaProducer(**options(), bootstrap_servers=bootstrap, acks="all",
                                linger_ms=LINGER_MS, enable_idempotence=True)  # fmt: skip
    await consumer.start()
    await producer.start()
    ready.set()
    try:
        async for rec in consumer:
            await producer.send(sink, rec.value, key=rec.key)
    finally:
        await producer.stop()
        await consumer.stop()


def _led(topics: list[dict[str, Any]]) -> bool:
    partitions = [p for t in topics for p in t["partitions"]]
    return len(partitions) == 6 and all(p["leader"] >= 0 for p in partitions)


async def measure(bootstrap: str, rate: float = 10, count: int = 100) -> dict[str, Any]:
    """p50/p99 (ms) from handing a record to a producer to reading its forwarded copy."""
    quiet = logging.getLogger("aiokafka")  # new topics: a first metadata miss is logged, retried
    level = quiet.level
    quiet.setLevel(logging.CRITICAL)
    try:
        return await _measure(bootstrap, rate, count)
    finally:
        quiet.setLevel(level)


async def _measure(bootstrap: str, rate: float, count: int) -> dict[str, Any]:
    run = uuid.uuid4().hex[:8]
    source, sink = f"bench-hop-{run}-in", f"bench-hop-{run}-out"
    admin = AIOKafkaAdminClient(**options(), bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(t, 3, 1) for t in (source, sink)])
        async with asyncio.timeout(30):  # every partition led before a client asks for offsets
            while not _led(await admin.describe_topics([source, sink])):
                await asyncio.sleep(0.2)
    finally:
        await admin.close()
    ready = asyncio.Event()
    forwarder = asyncio.create_task(_forward(bootstrap, source, sink, ready))
    producer = AIOKafkaProducer(**options(), bootstrap_servers=bootstrap, acks="all", linger_ms=0)
    # the probe's own fetch returns at once: its long-poll must not add to what is measured
    consumer = AIOKafkaConsumer(sink, **options(), bootstrap_servers=bootstrap, group_id=None,
                                auto_offset_reset="earliest", fetch_max_wait_ms=5)  # fmt: skip
    await producer.start()
    await consumer.start()
    try:
        await ready.wait()
        times = []
        for n in range(-10, count):  # ten records of warm-up (the group's join, connections)
            value = str(n).encode()
            start = time.perf_counter()
            await producer.send(source, value, key=f"k{n}".encode())
            async with asyncio.timeout(60):
                while (await consumer.getone()).value != value:
                    pass
            if n >= 0:
                times.append((time.perf_counter() - start) * 1000)
            await asyncio.sleep(1 / rate)
    finally:
        forwarder.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await forwarder
        await consumer.stop()
        await producer.stop()
    times.sort()
    return {"records": count, "p50Ms": round(times[len(times) // 2], 1),
            "p99Ms": round(times[min(len(times) - 1, int(0.99 * len(times)))], 1)}  # fmt: skip
