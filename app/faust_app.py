"""The one Faust application, configured from settings; every module registers onto ``app``."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Mapping
from typing import Any

import faust
from faust.transport.drivers import aiokafka as faust_kafka
from faust.types import TP, ConsumerT, TransportT

from app import performance, tracing
from app.observability import ErrorsToHealthLog, health
from app.settings import get_settings
from app.web_errors import json_errors

settings = get_settings()
tracing.configure(settings.trace_exporter)
log = logging.getLogger(__name__)
# Changelog writes sent but not yet acknowledged by the broker (see DurableConsumer).
unacked_changelog: set[asyncio.Future[Any]] = set()


class TrackedTable(faust.Table):  # type: ignore[misc]
    """Faust's table, keeping each changelog write's future until the broker has it."""

    def send_changelog(self, *args: Any, **kwargs: Any) -> Any:
        fut = super().send_changelog(*args, **kwargs)
        unacked_changelog.add(fut)
        fut.add_done_callback(unacked_changelog.discard)
        return fut


class DurableConsumer(faust_kafka.Consumer):
    """Commits an offset only once the table writes made before it are on the broker.

    Faust flushes its producer before a commit, but that flush gives up after 0.1 s without a
    send (``ProducerBuffer.flush_atmost``) and misses the write being handed to the client: a
    commit could pass a changelog write still in memory, and a ``kill -9`` then lost the table
    update for good (the record was not redelivered). Found by the fault harness: 285 of 6,000
    orders without a status after 20 kills. A commit that cannot be made safe within
    ten ``broker_commit_interval`` is skipped: the records are then redelivered, which the
    handlers absorb."""

    async def _commit_offsets(
        self, offsets: Mapping[TP, int], start_new_transaction: bool = True
    ) -> bool:
        waiting = list(unacked_changelog)
        if waiting:
            limit = max(self.app.conf.broker_commit_interval * 10, 10.0)
            _, left = await asyncio.wait(waiting, timeout=limit)
            if left:
                log.warning("commit skipped: %d changelog writes unacknowledged after %.0f s",
                            len(left), limit)  # fmt: skip
                return False
        return bool(await super()._commit_offsets(offsets, start_new_transaction))


class IdempotentProducer(faust_kafka.Producer):
    """Faust's producer, idempotent: a send the client retries (a lost ack, a broker failover) is
    written once. Faust turns ``enable_idempotence`` on only inside its exactly_once transactions
    (open bugs: faust-streaming #517, #323), so every producer of the worker gets it here, the
    changelog writes included."""

    def _settings_extra(self) -> Mapping[str, Any]:
        return {**super()._settings_extra(), "acks": "all", "enable_idempotence": True}


class IdempotentTransport(faust_kafka.Transport):
    Producer = IdempotentProducer
    Consumer = DurableConsumer


class OrdersApp(faust.App):
    def _new_transport(self) -> TransportT:
        return IdempotentTransport(self.conf.broker_consumer, self)

    def _new_producer_transport(self) -> TransportT:
        return IdempotentTransport(self.conf.broker_producer, self)

    async def _consumer_wait_empty(self, consumer: ConsumerT, logger: Any) -> None:
        """On SIGTERM (and before a rebalance hands partitions over) Faust stops fetching, drops
        what is queued but not started, and waits for the records the agents are handling. Then
        commit: Faust's stop commits only while records are still in flight, so the work finished
        since its last periodic commit (``broker_commit_interval``) would be done again after a
        restart. One health line says how many records were in flight and how many finished."""
        unacked = getattr(consumer, "_unacked_messages", ())  # Faust's own set (no public API)
        in_flight, started = len(unacked), time.monotonic()
        await super()._consumer_wait_empty(consumer, logger)
        committed = await consumer.commit()
        health(
            "drained",
            during="stop" if self.should_stop else "rebalance",
            inFlight=in_flight,
            finished=in_flight - len(unacked),
            unfinished=len(unacked),
            committed=bool(committed),
            seconds=round(time.monotonic() - started, 3),
        )


app = OrdersApp(
    settings.app_id,
    origin="app",
    autodiscover=[
        "agents",
        "tables",
        "views",
        "app.commands",
        "app.simulate",
        "app.dlq",
        "app.replay",
    ],
    # Defaults only: Faust's own variables (BROKER_URL, WEB_PORT, APP_DATADIR,
    # BROKER_SESSION_TIMEOUT …) and flags (-b, --web-port, --datadir) override them.
    broker=settings.broker_url,
    store="rocksdb://",
    Table=TrackedTable,
    # Keys and values are bytes on the wire: keys are plain UTF-8 ids (so table_route hashes the
    # same bytes as every producer), values are our JSON envelopes, parsed in domain/.
    key_serializer="raw",
    value_serializer="raw",
    topic_partitions=settings.topic_partitions,
    topic_replication_factor=settings.topic_replication,
    # Faust's 60 s left a killed worker's partitions orphaned for a minute; with 6 s (the broker's
    # group.min.session.timeout.ms) a kill -9 fails over in about 10 s.
    broker_session_timeout=6.0,
    broker_heartbeat_interval=1.5,
    consumer_auto_offset_reset="earliest",
    table_standby_replicas=settings.standby_replicas,
    producer_acks=-1,
    **performance.PRODUCER,
    loghandlers=[ErrorsToHealthLog()],
    # Faust's /table and /router pages read tables through table_route (500 on a dead owner,
    # raw bytes out): the read side is views/ instead.
    web_tables_enabled=False,
    web_router_enabled=False,
    web_application_options={
        "middlewares": [tracing.traced_writes, json_errors],
        "client_max_size": 256 * 1024,
    },
)
