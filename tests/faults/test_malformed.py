"""Malformed input from an outside client into every input topic, interleaved with valid traffic:
no worker crashes or stalls, every malformed record is on the DLQ and in the audit trail, and
every valid order still ends."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

import orjson
import pytest
from aiokafka import AIOKafkaProducer

from app.adapters.readall import read_all
from localkafka.broker import Broker
from tests.faults.corpus import corpus
from tests.faults.harness import TWO_WORKERS, Report, Traffic, check, drain, started, under_load
from tests.support.system import System

pytestmark = pytest.mark.timeout(1800)
Position = tuple[str, int, int]
Record = tuple[str, bytes | None, bytes]


async def send_corpus(
    system: System, records: list[tuple[str, bytes | None, bytes]]
) -> set[Position]:
    """Each record acknowledged, a few at a time over ~10 s; where each one landed."""
    producer = AIOKafkaProducer(bootstrap_servers=system.bootstrap, acks="all",
                                max_request_size=1_048_576)  # fmt: skip
    await producer.start()
    landed: set[Position] = set()
    try:
        for i, (topic, key, value) in enumerate(records):
            meta = await producer.send_and_wait(system.topic(topic), value, key=key)
            landed.add((meta.topic, meta.partition, meta.offset))
            if i % 10 == 9:
                await asyncio.sleep(0.3)
    finally:
        await producer.stop()
    return landed


def test_malformed_corpus_into_every_input_topic(broker: Broker, tmp_path: Path) -> None:
    system = started(System(broker.bootstrap, tmp_path, settings=TWO_WORKERS))
    traffic = Traffic(orders=1500, seed=404, rate=150)
    records = corpus(300, seed=404)
    with under_load(system, traffic) as sent:
        time.sleep(5)  # valid orders flowing
        landed = asyncio.run(send_corpus(system, records))
        sent()
        report = Report("malformed corpus", notes={"malformed": len(landed)})
        seconds, seen = drain(system, traffic.order_ids(), 600)
        report.drain_seconds = seconds

        def kept() -> tuple[set[Position], set[Position]]:
            letters = asyncio.run(read_all(system.bootstrap, [system.topic("orders.dlq")]))
            in_dlq = set()
            for r in letters:
                d = orjson.loads(r.value)
                in_dlq.add((d["originalTopic"], d["originalPartition"], d["originalOffset"]))
            audited = set()
            for w in system.workers:
                for line in w.audit_lines():
                    a = json.loads(line)
                    if not a["valid"]:
                        audited.add((a["topic"], a["partition"], a["offset"]))
            return in_dlq, audited

        deadline = time.monotonic() + 120
        while True:
            in_dlq, audited = kept()
            if (landed <= in_dlq and landed <= audited) or time.monotonic() > deadline:
                break
            time.sleep(2)
        report.notes["in_dlq"] = len(landed & in_dlq)
        report.notes["audited"] = len(landed & audited)
        report.lost += [f"not on the DLQ: {p}" for p in sorted(landed - in_dlq)]
        report.lost += [f"not audited: {p}" for p in sorted(landed - audited)]
        check(report, system, traffic, seen)
        alive = [w for w in system.workers if w.proc and w.proc.poll() is None]
        healthy = [w for w in alive if w.get("/health").status_code == 200]
        report.notes["workers_healthy"] = len(healthy)
        report.print()
    assert len(healthy) == 2, [w.log_tail() for w in system.workers]
    assert not report.lost and not report.duplicated, report.line()
