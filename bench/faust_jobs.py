"""The anchor jobs as Faust agents: ``python -m faust -A bench.faust_jobs worker``.

Environment: ``BENCH_JOB`` (forward | stateful), ``BENCH_VARIANT`` (defaults: Faust out of the
box, ``await topic.send`` per event, one event at a time; ours: Faust as our app runs it, on
the same extension points: the settings of ``app/runtime/performance.py`` and uvloop, the app's
``OrdersApp`` (its consumer's inline delivery, ordered fetches and commits after acks, its
idempotent producer, its flow control), the batches of ``app/runtime/batches.py``, sends
straight to the producer (``app/runtime/sends.py``) and the table on the record cache
(``CachedTable``)),
``BENCH_INPUT``, ``BENCH_OUTPUT``, ``BENCH_GROUP``; the broker comes from ``BROKER_URL``.
"""

from __future__ import annotations

import contextlib
import os
from typing import Any, cast

import faust
import orjson

from bench.kafka import faust_auth
from bench.workload import add

JOB = os.environ.get("BENCH_JOB", "forward")

VARIANT = os.environ.get("BENCH_VARIANT", "defaults")

tuning: dict[str, Any] = {}
App: Any = faust.App
if VARIANT == "ours":
    from app.runtime.batches import batches
    from app.runtime.durability import OrdersApp
    from app.runtime.performance import CONSUMER, PRODUCER, restore_log_level
    from app.runtime.sends import send_record
    from app.runtime.tables import CachedTable

    tuning = PRODUCER | CONSUMER | {"Table": CachedTable}
    App = OrdersApp

app = App(
    os.environ.get("BENCH_GROUP", "bench-faust"),
    **tuning,
    broker=os.environ.get("BROKER_URL", "kafka://localhost:9092"),
    **faust_auth(),  # ORDERS_KAFKA_* (python -m bench --secure)
    store="rocksdb://",
    key_serializer="raw",
    value_serializer="raw",
    producer_acks=-1,
    topic_partitions=3,
    consumer_auto_offset_reset="earliest",
    web_enabled=False,
)
source = app.topic(os.environ.get("BENCH_INPUT", "bench.in"))
sink = app.topic(os.environ.get("BENCH_OUTPUT", "bench.out"))
totals = app.Table("totals", key_type=bytes, value_type=bytes, partitions=3)


def _step(key: bytes, value: bytes) -> bytes:
    if JOB == "forward":
        return value
    old: Any = totals.get(key)
    new = orjson.dumps(add(orjson.loads(old) if old else None, orjson.loads(value)))
    totals[key] = new
    return new


if VARIANT == "ours":

    @app.task
    async def _quiet() -> None:
        restore_log_level()


@app.agent(source)
async def job(stream: faust.StreamT[bytes]) -> None:
    if VARIANT == "ours":
        async with contextlib.aclosing(batches(stream)) as taken:  # type: ignore[arg-type]
            async for batch in taken:
                for event in batch:
                    key = cast(bytes, event.key)
                    await send_record(sink, key, _step(key, cast(bytes, event.value)))
        return
    async for event in stream.events():
        await sink.send(key=event.key, value=_step(event.key, event.value))
