"""The ceiling for Python: the anchor jobs on plain aiokafka, at-least-once.

``python -m bench.raw_jobs forward|stateful BOOTSTRAP INPUT OUTPUT GROUP`` runs until killed. Each
fetched batch is produced (acks=all), its acks awaited, then its offsets committed.
"""

from __future__ import annotations

import asyncio
import sys
from typing import Any

import orjson
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from bench.kafka import options
from bench.workload import add


async def run(job: str, bootstrap: str, source: str, sink: str, group: str) -> None:
    consumer = AIOKafkaConsumer(source, **options(), bootstrap_servers=bootstrap, group_id=group,
                                enable_auto_commit=False, auto_offset_reset="earliest")  # fmt: skip
    producer = AIOKafkaProducer(**options(), bootstrap_servers=bootstrap, acks="all", linger_ms=5)
    await consumer.start()
    await producer.start()
    totals: dict[bytes, dict[str, Any]] = {}
    try:
        while True:
            batch = await consumer.getmany(timeout_ms=500, max_records=5000)
            futures = []
            for records in batch.values():
                for rec in records:
                    value = rec.value
                    if job == "stateful":
                        state = totals[rec.key] = add(totals.get(rec.key), orjson.loads(value))
                        value = orjson.dumps(state)
                    futures.append(await producer.send(sink, value, key=rec.key))
            if futures:
                await asyncio.gather(*futures)
                await consumer.commit()
    finally:
        await producer.stop()
        await consumer.stop()


if __name__ == "__main__":
    asyncio.run(run(*sys.argv[1:6]))
