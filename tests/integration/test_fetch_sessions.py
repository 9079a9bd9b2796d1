"""aiokafka's fetcher on a real broker, in fetch sessions: every record once and in order while
partitions come and go from the session (paused, held by the app, sought back), and the fetches
after the first name only what changed."""

from __future__ import annotations

import asyncio
import uuid
from collections import defaultdict
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.structs import TopicPartition

from app.runtime.fetch_sessions import INITIAL, FetchSessions, Session, SessionFetch

TOPICS, PARTITIONS = 3, 3


async def read_until(consumer: AIOKafkaConsumer, got: dict[TopicPartition, list[bytes]],
                     count: int) -> None:  # fmt: skip
    async with asyncio.timeout(30):  # a record the session never fetched fails here
        while sum(len(v) for v in got.values()) < count:
            for tp, records in (await consumer.getmany(timeout_ms=200)).items():
                got[tp].extend(r.value for r in records if r.value is not None)


async def run(bootstrap: str, fetches: list[SessionFetch]) -> None:
    names = [f"sessions-{uuid.uuid4().hex[:8]}-{n}" for n in range(TOPICS)]
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(n, PARTITIONS, 1) for n in names])
    finally:
        await admin.close()
    tps = [TopicPartition(n, p) for n in names for p in range(PARTITIONS)]
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=0)
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None,
                                auto_offset_reset="earliest", fetch_max_wait_ms=20)  # fmt: skip
    await producer.start()
    await consumer.start()
    try:
        fetcher: Any = consumer._fetcher
        fetcher._client = FetchSessions(fetcher)
        consumer.assign(tps)
        got: dict[TopicPartition, list[bytes]] = defaultdict(list)
        sent: dict[TopicPartition, list[bytes]] = defaultdict(list)
        total = 0
        for round_ in range(12):
            paused, pausing = tps[round_ % len(tps)], round_ % 3 == 1
            if pausing:  # out of the session for a round, back at its position after
                consumer.pause(paused)
            for n, tp in enumerate(tps):
                if (n + round_) % 2:  # half the partitions get records this round
                    continue
                for i in range(3):
                    value = f"{round_}-{i}".encode()
                    await producer.send_and_wait(tp.topic, value, partition=tp.partition)
                    sent[tp].append(value)
                    total += 1
            held = len(sent[paused]) - len(got[paused]) if pausing else 0
            await read_until(consumer, got, total - held)
            consumer.resume(paused)
        await read_until(consumer, got, total)
        assert dict(got) == dict(sent)  # each partition: every record, once, in order
        # a partition sought back is fetched again from there (its offset is sent anew)
        again = tps[4]
        consumer.seek(again, 0)
        replay: dict[TopicPartition, list[bytes]] = defaultdict(list)
        await read_until(consumer, replay, len(sent[again]))
        assert replay[again] == sent[again]
    finally:
        await consumer.stop()
        await producer.stop()
    sessions = fetcher._client.sessions
    assert len(sessions) == 1 and next(iter(sessions.values())).id != 0  # the broker opened one
    incremental = [f for f in fetches if f.epoch != INITIAL]
    assert len(incremental) > 10, [(f.epoch, len(f.send)) for f in fetches]
    # after the first, a fetch names what moved, not every partition read
    assert max(len(f.send) for f in incremental) < len(tps)
    assert any(f.forget for f in incremental)  # the paused ones left the session


def test_a_fetcher_in_a_session_reads_every_record_once_and_names_only_changes(
    kafka_bootstrap: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    fetches: list[SessionFetch] = []
    made = Session.fetch

    def recorded(self: Session, request: Any) -> SessionFetch:
        fetches.append(made(self, request))
        return fetches[-1]

    monkeypatch.setattr(Session, "fetch", recorded)
    asyncio.run(run(kafka_bootstrap, fetches))
