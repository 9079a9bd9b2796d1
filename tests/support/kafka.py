"""Plain aiokafka clients for tests: what an outside producer or consumer would do."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.structs import ConsumerRecord


def produce(
    bootstrap: str, topic: str, records: Iterable[tuple[bytes | None, bytes, int | None]]
) -> None:
    """Send ``(key, value, partition)`` records with acks=all and wait for every ack."""

    async def run() -> None:
        producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
        await producer.start()
        try:
            futures = [
                await producer.send(topic, value, key=key, partition=p) for key, value, p in records
            ]
            await asyncio.gather(*futures)
        finally:
            await producer.stop()

    asyncio.run(run())


def read_topic(
    bootstrap: str, topic: str, expected: int, timeout: float = 30
) -> list[ConsumerRecord]:
    """Read ``topic`` from the beginning until ``expected`` records arrived (or fail), plus a
    short grace period so that an extra, unexpected record is seen too."""

    async def run() -> list[ConsumerRecord]:
        consumer = AIOKafkaConsumer(
            topic,
            bootstrap_servers=bootstrap,
            auto_offset_reset="earliest",
            enable_auto_commit=False,
            group_id=None,
        )
        await consumer.start()
        out: list[ConsumerRecord] = []
        deadline = time.monotonic() + timeout
        try:
            while time.monotonic() < deadline:
                batch = await consumer.getmany(timeout_ms=500)
                out.extend(r for records in batch.values() for r in records)
                if len(out) >= expected:
                    grace = await consumer.getmany(timeout_ms=1000)
                    out.extend(r for records in grace.values() for r in records)
                    break
        finally:
            await consumer.stop()
        return out

    return asyncio.run(run())


async def consume_values(
    bootstrap: str, topic: str, count: int, group: str | None = None, timeout: float = 30
) -> list[bytes]:
    """The values of ``count`` records of ``topic`` from the beginning (sorted), as a group
    member when ``group`` is given; fewer if the deadline passes first."""
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, group_id=group,
                                auto_offset_reset="earliest")  # fmt: skip
    await consumer.start()
    try:
        values: list[bytes] = []
        deadline = time.monotonic() + timeout
        while len(values) < count and time.monotonic() < deadline:
            for records in (await consumer.getmany(timeout_ms=500)).values():
                values.extend(record.value for record in records)
        return sorted(values)
    finally:
        await consumer.stop()


async def produce_values(bootstrap: str, topic: str, values: list[bytes]) -> None:
    """Send ``values`` one by one, each acknowledged (acks=all) before the next."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:
        for value in values:
            await producer.send_and_wait(topic, value)
    finally:
        await producer.stop()


async def topic_names(bootstrap: str) -> list[str]:
    """Every topic on the cluster (Faust's internal ones too)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        return list(await admin.list_topics())
    finally:
        await admin.close()
