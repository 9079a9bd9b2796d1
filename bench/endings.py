"""The orders' endings as they happen: terminal events read from the end of orders.events."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator

import orjson
from aiokafka import AIOKafkaConsumer

from bench.kafka import options
from tests.support.system import System

TERMINAL_EVENTS = {"OrderConfirmed", "OrderCancelled", "OrderRejected"}
Ending = tuple[str, str]  # orderId, eventType


async def terminal_events(
    system: System, ready: asyncio.Event
) -> AsyncGenerator[list[Ending], None]:
    """From the current end of orders.events (``ready`` is set once there): each fetch's terminal
    events, as (orderId, eventType); an empty list every 200 ms when nothing came."""
    consumer = AIOKafkaConsumer(system.topic("orders.events"), **options(), group_id=None,
                                bootstrap_servers=system.bootstrap,
                                auto_offset_reset="latest")  # fmt: skip
    await consumer.start()
    try:
        await consumer.seek_to_end()
        for tp in consumer.assignment():
            await consumer.position(tp)
        ready.set()
        while True:
            batch = []
            for records in (await consumer.getmany(timeout_ms=200, max_records=10000)).values():
                for rec in records:
                    event = orjson.loads(rec.value)
                    if event.get("eventType") in TERMINAL_EVENTS:
                        batch.append((event["data"]["orderId"], event["eventType"]))
            yield batch
    finally:
        await consumer.stop()
