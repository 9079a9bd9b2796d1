"""The catalog every order handler prices from: all of ``inventory.catalog``, in memory, per worker.

Faust's GlobalTable misses updates with several workers (faust-streaming #283, open), so each
worker reads the whole compacted topic itself, outside the consumer group, like Kafka Streams'
GlobalKTable: a plain consumer assigned every partition, from the beginning, for ever.
"""

from __future__ import annotations

import asyncio
import logging

import mode
from aiokafka import AIOKafkaConsumer, TopicPartition

from app.adapters.kafka import bootstrap_servers, outside_group
from app.application import app
from app.settings import settings
from app.topics import inventory_catalog_topic
from domain.envelope import Parsed, parse
from domain.messages import CatalogItem, RestockItem

log = logging.getLogger(__name__)
catalog: dict[str, CatalogItem] = {}
caught_up = asyncio.Event()  # set once the topic's end (as of start) has been read


@app.service
class CatalogReader(mode.Service):
    """Keeps ``catalog`` current for the life of the worker."""

    @mode.Service.task
    async def _read(self) -> None:
        while not self.should_stop:  # a broker outage must not crash the worker: start over
            try:
                await self._follow()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("catalog reader failed; starting over in 2 s")
                await self.sleep(2.0)

    async def _follow(self) -> None:
        topic = inventory_catalog_topic.get_topic_name()
        consumer = outside_group(bootstrap_servers())
        await consumer.start()
        try:
            # create-topics makes it with the app's partition count, like every topic of ours
            partitions = [TopicPartition(topic, p) for p in range(settings.topic_partitions)]
            consumer.assign(partitions)
            await consumer.seek_to_beginning(*partitions)
            ends = await consumer.end_offsets(partitions)
            while not self.should_stop:
                batch = await consumer.getmany(timeout_ms=500)
                for records in batch.values():
                    for record in records:
                        self._apply(record.value)
                if not caught_up.is_set() and await self._reached(consumer, ends):
                    log.info("catalog caught up: %d skus", len(catalog))
                    caught_up.set()
        finally:
            await consumer.stop()

    @staticmethod
    async def _reached(consumer: AIOKafkaConsumer, ends: dict[TopicPartition, int]) -> bool:
        for tp, end in ends.items():
            if await consumer.position(tp) < end:
                return False
        return True

    @staticmethod
    def _apply(raw: bytes | None) -> None:
        result = parse(raw, "inventory.catalog")
        if isinstance(result, Parsed) and isinstance(result.body, CatalogItem):
            catalog[result.body.sku] = result.body
        else:
            log.warning(
                "skipping an unreadable catalog record: %s", getattr(result, "error", result)
            )


async def catalog_shows(item: RestockItem, timeout: float) -> bool:
    """Wait (bounded) until this worker's catalog has the name and price of ``item``."""
    deadline = asyncio.get_running_loop().time() + timeout
    while asyncio.get_running_loop().time() < deadline:
        known = catalog.get(item.sku)
        if known is not None and (known.name, known.unitPrice) == (item.name, item.unitPrice):
            return True
        await asyncio.sleep(0.02)
    return False
