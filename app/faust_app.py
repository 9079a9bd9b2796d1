"""The one Faust application, configured from settings; every module registers onto ``app``."""

from __future__ import annotations

import asyncio
import atexit
import logging
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import faust
from faust.transport.drivers import aiokafka as faust_kafka
from faust.types import TP, ConsumerT, TransportT

from app import local_state, metrics, performance, tracing
from app.inflight import in_flight
from app.observability import ErrorsToHealthLog, health
from app.sends import failed_sends, track, unacked_sends
from app.settings import get_settings
from app.web_errors import json_errors

settings = get_settings()
tracing.configure(settings.trace_exporter)
log = logging.getLogger(__name__)


class DurableConsumer(faust_kafka.Consumer):
    """Commits an offset only once the table writes and sends made before it are on the broker.

    Faust flushes its producer before a commit, but that flush gives up after 0.1 s without a
    send (``ProducerBuffer.flush_atmost``) and misses the write being handed to the client: a
    commit could pass a changelog write still in memory, and a ``kill -9`` then lost the table
    update for good (the record was not redelivered). Found by the fault harness: 285 of 6,000
    orders without a status after 20 kills. A commit that cannot be made safe within 10 s is
    skipped: the records are then redelivered, which the handlers absorb. A send the broker
    refused for good (after the client's own retries) stops the worker without committing:
    its effect exists only locally, and a restart redoes the records from the last commit."""

    async def _commit_offsets(
        self, offsets: Mapping[TP, int], start_new_transaction: bool = True
    ) -> bool:
        waiting = list(unacked_sends)
        if waiting:
            _, left = await asyncio.wait(waiting, timeout=10.0)
            if left:
                log.warning("commit skipped: %d sends unacknowledged after 10 s", len(left))
                return False
        if failed_sends:
            reason = f"{len(failed_sends)} sends failed for good, first: {failed_sends[0]}"
            log.error("not committing, stopping the worker: %s", reason)
            await self.app.crash(RuntimeError(reason))
            return False
        return bool(await super()._commit_offsets(offsets, start_new_transaction))

    async def on_partitions_revoked(self, revoked: set[TP]) -> None:
        """Before a rebalance takes partitions away: stop taking records, let the agents finish
        the ones they hold, commit. Faust forgets what was acknowledged on the revoked partitions
        *before* it waits and commits, so its commit there had nothing to commit: everything
        done since its last periodic commit (2.8 s) was done again by the next owner (the fault
        harness counted 1,364 records handled twice around one SIGTERM and restart)."""
        if revoked and not self.app.should_stop:
            self.stop_flow()
            self.app.flow_control.suspend()
            self.app.flow_control.clear()  # queued, not started: not committed, comes again
            await drain_and_commit(self, "rebalance")
        await super().on_partitions_revoked(revoked)


class IdempotentProducer(faust_kafka.Producer):
    """Faust's producer, idempotent: a send the client retries (a lost ack, a broker failover) is
    written once. Faust turns ``enable_idempotence`` on only inside its exactly_once transactions
    (open bugs: faust-streaming #517, #323), so every producer of the worker gets it here, the
    changelog writes included.

    Every record it is given is tracked until the broker has it (``DurableConsumer`` waits for
    them before a commit): table changelogs (``send_soon``, buffered), our sends, and Faust's own
    — the ``group_by`` repartition forward was not tracked when tracking was per call site, and
    a commit passed a forward still in the client's buffer: a kill -9 lost a confirmation from a
    user's totals (issue 17)."""

    def _settings_extra(self) -> Mapping[str, Any]:
        return {**super()._settings_extra(), "acks": "all", "enable_idempotence": True}

    async def send(self, *args: Any, **kwargs: Any) -> Any:
        return track(await super().send(*args, **kwargs))

    def send_soon(self, fut: Any) -> None:
        track(fut)
        super().send_soon(fut)


class IdempotentTransport(faust_kafka.Transport):
    Producer = IdempotentProducer
    Consumer = DurableConsumer


class OrdersApp(faust.App):
    def _new_transport(self) -> TransportT:
        return IdempotentTransport(self.conf.broker_consumer, self)

    def _new_producer_transport(self) -> TransportT:
        return IdempotentTransport(self.conf.broker_producer, self)

    async def on_first_start(self) -> None:
        """The worker's first start: its local table stores are kept only if its last stop left
        nothing unsent (``app.local_state``); this runs before any store is opened."""
        tabledir = Path(self.conf.tabledir)
        if local_state.trust_or_wipe(tabledir, local_state.marker(self.conf.datadir)):
            health("tables_wiped", reason="the last stop was not clean", tabledir=str(tabledir))
        atexit.register(local_state.mark_clean, local_state.marker(self.conf.datadir))
        await super().on_first_start()

    async def _consumer_wait_empty(self, consumer: ConsumerT, logger: Any) -> None:
        """Faust calls this on SIGTERM (and after a revoke, by then drained: see
        ``DurableConsumer``). Faust's own version waits, with no limit, until every record
        delivered is acknowledged by every agent that got it; a record delivered to several
        agents (orders.events has three) whose copy was dropped from one agent's queue is never
        acknowledged, and that wait never ended (the fault harness: a worker stuck in a rebalance
        for minutes; faust-streaming #133, robinhood/faust #402)."""
        if self.should_stop:
            await drain_and_commit(consumer, "stop")


async def drain_and_commit(consumer: ConsumerT, during: str) -> None:
    """Wait for the records the agents are handling (``app.inflight``, at most
    ``ORDERS_DRAIN_TIMEOUT``), then commit what is acknowledged; what is not is not committed and
    comes again, which the handlers absorb. One health line says how many records were in
    flight and how many finished."""
    holding, started = in_flight.count, time.monotonic()
    await in_flight.wait_idle(settings.drain_timeout)
    await asyncio.sleep(0.05)  # the agents' streams acknowledge what was just finished
    committed = await consumer.commit()
    health(
        "drained",
        during=during,
        inFlight=holding,
        finished=holding - in_flight.count,
        unfinished=in_flight.count,
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
        "app.monitor",
    ],
    # Defaults only: Faust's own variables (BROKER_URL, WEB_PORT, APP_DATADIR,
    # BROKER_SESSION_TIMEOUT …) and flags (-b, --web-port, --datadir) override them.
    broker=settings.broker_url,
    store="rocksdb://",
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
    **performance.CONSUMER,
    loghandlers=[ErrorsToHealthLog()],
    monitor=metrics.faust_monitor(),  # Faust's Prometheus sensor, served by GET /metrics
    # Faust's /table and /router pages read tables through table_route (500 on a dead owner,
    # raw bytes out): the read side is views/ instead.
    web_tables_enabled=False,
    web_router_enabled=False,
    web_application_options={
        "middlewares": [tracing.traced_writes, json_errors],
        "client_max_size": 256 * 1024,
    },
)
