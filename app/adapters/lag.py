"""The consumer group's backlog in time on every partition of an order's path, sampled from the
broker (the group's committed offsets and the logs' end offsets) by clients of its own: what the
edge's admission control (``domain.admission``) and the simulator read."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Iterable

import mode
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from app.adapters.kafka import bootstrap_servers, outside_group
from app.adapters.kafka_auth import aiokafka_options
from app.application import app
from app.observability.logs import health
from app.runtime.partitioning import partition_for
from app.settings import settings
from domain.admission import PartitionLag, Path, SagaQueue, Sample
from domain.admission import TopicPartition as LogicalTP

log = logging.getLogger(__name__)
wall = time.time  # the sagas' clock (their deadlines are epoch seconds)

PATH_TOPICS = ("orders.commands", "orders.events", "inventory.commands", "payments.commands")


def order_path(user_id: str, order_id: str, skus: Iterable[str]) -> Path:
    """The partitions an order passes: keyed as each topic is (``app.topics``)."""
    n = settings.topic_partitions

    def at(topic: str, key: str) -> LogicalTP:
        return topic, partition_for(key.encode(), n)

    return Path(
        commands=at("orders.commands", user_id),
        events=at("orders.events", order_id),
        inventory=tuple(at("inventory.commands", sku) for sku in sorted(set(skus))),
        payments=at("payments.commands", order_id),
    )


async def _started(start: Awaitable[None], close: Callable[[], Awaitable[None]]) -> None:
    """``start``; a start that fails or is cancelled closes its client (no task or connection
    left behind)."""
    try:
        await start
    except BaseException:
        with contextlib.suppress(Exception):
            await asyncio.shield(close())
        raise


class GroupLag:
    """``backlog``: seconds per (logical topic, partition), refreshed by ``sample()``; empty while
    unknown (not sampled yet, or the broker did not answer: then nothing is refused)."""

    def __init__(self, bootstrap: str, group: str, window: float) -> None:
        self.bootstrap, self.group, self.window = bootstrap, group, window
        # the oldest a record waiting on a partition that keeps up gets: a commit's period, a
        # second for the commit itself (its flush and acks), and two samples (``domain.admission``)
        self.keeping_up = app.conf.broker_commit_interval + 1.0 + 2 * settings.admission_interval
        self.backlog: dict[LogicalTP, float] = {}
        self._lags: dict[LogicalTP, PartitionLag] = {}
        self._real = {settings.topic_prefix + t: t for t in PATH_TOPICS}
        self._tps = [
            TopicPartition(real, p) for real in self._real for p in range(settings.topic_partitions)
        ]
        self._admin: AIOKafkaAdminClient | None = None
        self._consumer: AIOKafkaConsumer | None = None
        self._coordinator: int | None = None
        self._closed = False
        self._unknown_since: float | None = None  # since when samples fail (every order admitted)
        # the sagas on this worker (``agents.saga`` sets ``in_flight`` and tells ``sagas`` when
        # one ends): their queue is a floor under every orders.events partition's backlog
        interval = settings.admission_interval
        self.sagas = SagaQueue(target=interval, span=2 * interval)
        self.in_flight: Callable[[], int] | None = None

    async def sample(self) -> None:
        try:
            async with asyncio.timeout(5):  # not ``wait_for``: it can swallow a cancel (3.11)
                committed, ends = await self._offsets()
        except Exception as exc:  # unknown rather than stale; the next sample tries again
            log.debug("group lag not sampled: %r", exc)
            self._coordinator = None
            self.backlog = {}
            if self._unknown_since is None:  # once per spell: admission admits every order now
                self._unknown_since = time.monotonic()
                health("backlog_unknown", error=repr(exc)[:300])
            return
        now = time.monotonic()
        if self._unknown_since is not None:
            health("backlog_known", unknownSeconds=round(now - self._unknown_since, 1))
            self._unknown_since = None
        for tp in self._tps:
            done = committed.get(tp)
            if done is None or tp not in ends:
                continue
            key = (self._real[tp.topic], tp.partition)
            lag = self._lags.get(key)
            if lag is None:
                lag = self._lags[key] = PartitionLag(
                    self.window, self.keeping_up, settings.admission_interval
                )
            lag.add(Sample(at=now, committed=done, end=ends[tp]))
        backlog = {key: lag.seconds() for key, lag in self._lags.items()}
        if self.in_flight is not None and (queued := self.sagas.seconds(self.in_flight(), wall())):
            for key, seconds in backlog.items():
                if key[0] == "orders.events":  # every saga's hop: its sagas share the workers
                    backlog[key] = max(seconds, queued)
        self.backlog = backlog

    async def _offsets(self) -> tuple[dict[TopicPartition, int], dict[TopicPartition, int]]:
        if self._closed:
            raise RuntimeError("closed")
        if self._admin is None:  # kept once started; a start cut short is closed
            admin = AIOKafkaAdminClient(bootstrap_servers=self.bootstrap, **aiokafka_options())
            await _started(admin.start(), admin.close)
            self._admin = admin
        if self._consumer is None:
            consumer = outside_group(self.bootstrap)
            await _started(consumer.start(), consumer.stop)
            self._consumer = consumer
        if self._coordinator is None:
            self._coordinator = await self._admin.find_coordinator(self.group)
        group = await self._admin.list_consumer_group_offsets(
            self.group, self._coordinator, partitions=self._tps
        )
        ends = await self._consumer.end_offsets(self._tps)
        committed = {tp: meta.offset for tp, meta in group.items() if meta.offset >= 0}
        if unbegun := [tp for tp in self._tps if tp not in committed]:  # all of it is waiting
            committed |= await self._consumer.beginning_offsets(unbegun)
        return committed, ends

    async def close(self) -> None:
        self._closed = True  # a sample under way makes no new client after this
        if self._admin is not None:
            await self._admin.close()
            self._admin = None
        if self._consumer is not None:
            await self._consumer.stop()
            self._consumer = None


group_lag = GroupLag(bootstrap_servers(), settings.app_id, settings.admission_window)


@app.timer(settings.admission_interval)
async def sample_backlog() -> None:
    """Every worker samples on its own: any of them may be asked for an order (and /stats shows
    the backlog also with admission control off)."""
    await group_lag.sample()


@app.service
class GroupLagClosed(mode.Service):
    """Closes the backlog sampler's clients when the worker stops."""

    async def on_stop(self) -> None:
        await group_lag.close()
