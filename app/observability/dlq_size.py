"""The number of records in ``orders.dlq`` now, asked of the broker when the metrics are read."""

from __future__ import annotations

import asyncio
import time

import mode
from aiokafka import AIOKafkaConsumer
from faust.types import TP

from app.adapters.kafka import bootstrap_servers, outside_group
from app.application import app
from app.settings import settings
from app.topics import orders_dlq_topic


class DlqSize:
    """Records in ``orders.dlq`` now (end minus beginning offsets), through a consumer of its own
    outside the group, asked at most every 2 s however many scrapers ask."""

    def __init__(self) -> None:
        self._consumer: AIOKafkaConsumer | None = None
        self._asked = 0.0
        self.value: int | None = None  # None: not known (yet)

    async def refresh(self) -> None:
        if time.monotonic() - self._asked < 2:
            return
        self._asked = time.monotonic()
        name = orders_dlq_topic.get_topic_name()
        tps = [TP(name, p) for p in range(settings.topic_partitions)]
        try:
            if self._consumer is None:
                self._consumer = outside_group(bootstrap_servers())
                await asyncio.wait_for(self._consumer.start(), 5)
            ends = await asyncio.wait_for(self._consumer.end_offsets(tps), 3)
            starts = await asyncio.wait_for(self._consumer.beginning_offsets(tps), 3)
            self.value = sum(ends[tp] - starts[tp] for tp in tps)
        except Exception:
            self.value = None  # unknown rather than stale

    async def close(self) -> None:
        if self._consumer is not None:
            await self._consumer.stop()
            self._consumer = None


dlq_size = DlqSize()


@app.service
class DlqSizeClosed(mode.Service):
    """Closes the DLQ size's consumer when the worker stops."""

    async def on_stop(self) -> None:
        await dlq_size.close()
