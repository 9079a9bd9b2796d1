"""Read whole topics from the beginning to their current end, outside any consumer group: what
``faust -A app dlq`` and ``faust -A app replay`` read (the live workers' offsets are untouched)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from app.adapters.kafka import outside_group
from app.adapters.kafka_auth import aiokafka_options


class ReadToEnd:
    """The records of ``topics`` up to the end offsets seen at ``start``; partitions in parallel,
    each in offset order. ``progress(done, total)`` is called as records arrive."""

    def __init__(self, bootstrap: str, topics: list[str]) -> None:
        self.topics = topics
        self.bootstrap = bootstrap
        self.missing: list[str] = []
        self.total = 0
        self.consumer: AIOKafkaConsumer
        self._end: dict[TopicPartition, int] = {}

    async def __aenter__(self) -> ReadToEnd:
        admin = AIOKafkaAdminClient(bootstrap_servers=self.bootstrap, **aiokafka_options())
        await admin.start()
        try:
            # only topics that exist: describing a missing one would have the broker create it
            # (with its defaults: a changelog created so would not be compacted)
            existing = set(await admin.list_topics())
            wanted = [t for t in self.topics if t in existing]
            described = await admin.describe_topics(wanted) if wanted else []
        finally:
            await admin.close()
        parts = [
            TopicPartition(topic["topic"], p["partition"])
            for topic in described
            if topic["error_code"] == 0
            for p in topic["partitions"]
        ]
        self.missing = sorted(set(self.topics) - {tp.topic for tp in parts})
        if parts:
            self.consumer = outside_group(self.bootstrap, max_partition_fetch_bytes=4 * 1024 * 1024)
            await self.consumer.start()
            self.consumer.assign(parts)
            await self.consumer.seek_to_beginning(*parts)
            begin = await self.consumer.beginning_offsets(parts)
            self._end = await self.consumer.end_offsets(parts)
            self.total = sum(self._end[tp] - begin[tp] for tp in parts)
        return self

    def partition_counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for tp in self._end:
            counts[tp.topic] = counts.get(tp.topic, 0) + 1
        return counts

    async def __aexit__(self, *exc: object) -> None:
        if self._end:
            await self.consumer.stop()

    async def records(
        self, progress: Callable[[int, int], None] | None = None
    ) -> AsyncIterator[ConsumerRecord]:
        left = {tp for tp, end in self._end.items() if end > 0}
        for tp in list(left):
            if await self.consumer.position(tp) >= self._end[tp]:
                left.discard(tp)
        done = 0
        while left:
            batch = await self.consumer.getmany(*left, timeout_ms=1000, max_records=10_000)
            for tp, records in batch.items():
                for record in records:
                    if record.offset < self._end[tp]:
                        yield record
                        done += 1
                if await self.consumer.position(tp) >= self._end[tp]:
                    left.discard(tp)
                    self.consumer.pause(tp)
            if progress is not None:
                progress(done, self.total)


async def read_all(bootstrap: str, topics: list[str]) -> list[ConsumerRecord]:
    async with ReadToEnd(bootstrap, topics) as reading:
        return [record async for record in reading.records()]
