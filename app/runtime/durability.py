"""Durability: idempotent sends, commits after their acks, bounded drains, trusted local stores."""

from __future__ import annotations

import asyncio
import atexit
import logging
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar, cast

import faust
from faust.transport.drivers import aiokafka as faust_kafka
from faust.types import TP, ConsumerT, TransportT
from faust.types.web import Web
from faust.web.drivers.aiohttp import Web as AiohttpWeb
from mode.utils.objects import cached_property

from app.observability.logs import health
from app.runtime import drills, local_state, record_cache
from app.runtime.committed import KnownCommits
from app.runtime.fetching import FetchWaitConsumer
from app.runtime.flow import FlowControl
from app.runtime.inflight import in_flight
from app.runtime.rewind import RewindingConsumer
from app.runtime.sends import InOrder, failed_sends, keep_until_acked, unacked_sends
from app.settings import settings

log = logging.getLogger(__name__)
COMMIT_WAIT = 10.0  # seconds a commit waits for the acks of the sends made before it, then skips
DRAIN_POLL = 0.005  # seconds between two looks at what a drain waits for


class DurableConsumer(KnownCommits, FetchWaitConsumer, RewindingConsumer):
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
        record_cache.flush_all()  # the offsets were taken before: their records' writes go too
        waiting = list(unacked_sends)
        if waiting:
            _, left = await asyncio.wait(waiting, timeout=COMMIT_WAIT)
            if left:
                first = "; ".join(map(repr, list(left)[:3]))  # where each one waits
                log.warning("commit skipped: %d sends unacknowledged after %g s, first: %s",
                            len(left), COMMIT_WAIT, first)  # fmt: skip
                self._acked_again(offsets)
                return False
        if failed_sends:  # a table flush that failed is one of them (``record_cache``)
            reason = f"{len(failed_sends)} sends failed for good, first: {failed_sends[0]}"
            log.error("not committing, stopping the worker: %s", reason)
            await self.app.crash(RuntimeError(reason))
            return False
        if waiting:  # a drill's kill -9: what it sent is acknowledged, the offsets not committed
            drills.reached("flushed")
        return bool(await super()._commit_offsets(offsets, start_new_transaction))

    def _acked_again(self, offsets: Mapping[TP, int]) -> None:
        """Give a skipped commit's offsets back to Faust's bookkeeping. Faust takes them out of
        its acknowledged offsets before the commit and forgets them when the commit is not made;
        the next one then saw a gap after the last committed offset and never committed that
        partition again (until a rebalance, or the watchdog stopping the worker)."""
        for tp, offset in offsets.items():
            committed = self._committed_offset[tp]
            start = self._log_start.get(tp, offset - 1) if committed is None else committed
            index = self._acked_index[tp]
            back = [o for o in range(start, offset) if o not in index]
            self._acked[tp].extend(back)
            index.update(back)

    async def on_partitions_revoked(self, revoked: set[TP]) -> None:
        """Before a rebalance takes partitions away: stop taking records, let the agents finish
        the ones they hold, commit. Faust forgets what was acknowledged on the revoked partitions
        *before* it waits and commits, so its commit there had nothing to commit: everything
        done since its last periodic commit (2.8 s) was done again by the next owner (the fault
        harness counted 1,364 records handled twice around one SIGTERM and restart)."""
        if revoked and not self.app.should_stop:
            self.stop_flow()
            self.app.flow_control.suspend()
            self.app.flow_control.clear()  # what no reader took: not committed, comes again
            await drain_and_commit(self, "rebalance")
        await super().on_partitions_revoked(revoked)


class IdempotentProducer(faust_kafka.Producer):
    """Faust's producer, idempotent: a send the client retries (a lost ack, a broker failover) is
    written once. Faust turns ``enable_idempotence`` on only inside its exactly_once transactions
    (open bugs: faust-streaming #517, #323), so every producer of the worker gets it here, the
    changelog writes included.

    Every record it is given is tracked until the broker has it (``DurableConsumer`` waits for
    them before a commit): table changelogs (a record cache's flushes, ``send_in_order``; Faust's
    ``send_soon`` for the rest), our sends, and Faust's own
    — the ``group_by`` repartition forward was not tracked when tracking was per call site, and
    a commit passed a forward still in the client's buffer: a kill -9 lost a confirmation from a
    user's totals (issue 17)."""

    def _settings_extra(self) -> Mapping[str, Any]:
        return {**super()._settings_extra(), "acks": "all", "enable_idempotence": True}

    async def send(self, *args: Any, **kwargs: Any) -> Any:
        return keep_until_acked(await super().send(*args, **kwargs))

    def send_soon(self, fut: Any) -> None:
        keep_until_acked(fut)
        super().send_soon(fut)

    @cached_property
    def in_order(self) -> InOrder:
        return InOrder()

    def send_in_order(
        self, topic: str, partition: int, records: Sequence[tuple[bytes, bytes | None]]
    ) -> asyncio.Future[int]:
        """A record cache's flush of one partition: batches, no buffer (``InOrder``)."""
        return self.in_order.send(self._ensure_producer(), topic, partition, records)


class IdempotentTransport(faust_kafka.Transport):
    Producer = IdempotentProducer
    Consumer = DurableConsumer


class OwnIndexWeb(AiohttpWeb):
    """Faust's web server without its production index: Faust mounts that at ``/`` when the
    server starts, after the app's own ``/`` (the live page), and took its place in
    ``app.web.views`` (the route kept the first: the door and the document looked up the wrong
    view)."""

    production_blueprints: ClassVar = ()


class OrdersApp(faust.App):
    @cached_property
    def flow_control(self) -> FlowControl:
        return FlowControl(loop=self.loop)

    def _new_transport(self) -> TransportT:
        return IdempotentTransport(self.conf.broker_consumer, self)

    def _new_producer_transport(self) -> TransportT:
        return IdempotentTransport(self.conf.broker_producer, self)

    def _new_web(self) -> Web:
        return OwnIndexWeb(self)

    async def on_first_start(self) -> None:
        """The worker's first start: its local table stores are kept only if its last stop left
        nothing unsent (``app.runtime.local_state``); this runs before any store is opened."""
        tabledir = Path(self.conf.tabledir)
        if local_state.trust_or_wipe(tabledir, local_state.marker(self.conf.datadir)):
            health("tables_wiped", reason="the last stop was not clean", tabledir=str(tabledir))
        atexit.register(local_state.mark_clean, local_state.marker(self.conf.datadir))
        await super().on_first_start()

    def _on_autodiscovery_error(self, name: str) -> None:
        """Faust logs a module that fails to import and starts without its agents and views (a
        worker without its payment agent, seen when a name was missing in an agent module):
        here the worker does not start."""
        raise ImportError(f"autodiscovery could not import {name}") from sys.exc_info()[1]

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
    """Wait, at most ``ORDERS_DRAIN_TIMEOUT``, until nothing is in flight and every reader of a
    topic has handled what another took (``app.runtime.flow``), both seen in the same step; then
    the generation closes (nothing more is taken) and what is acknowledged commits; the rest
    comes again (the handlers absorb it). One health line says how many records were in flight,
    how many finished, and how many a lagging reader caught up on."""
    app = cast(faust.App, consumer.app)  # type: ignore[attr-defined]
    frontier = cast(FlowControl, app.flow_control).frontier
    generation = app.consumer_generation_id
    holding, started = in_flight.count, time.monotonic()
    behind = lagging = frontier.behind(generation)
    deadline = started + settings.drain_timeout
    # A record taken after this can still be in hand at the deadline: the catch-up stops there
    # (what is left comes again), and what is in flight has the longest handling to finish.
    last_take = deadline - settings.longest_handling()
    left = 0
    while (in_flight.count or behind) and time.monotonic() < deadline:
        if behind and time.monotonic() >= last_take:
            left, behind = behind, 0
            frontier.close()
        await asyncio.sleep(DRAIN_POLL)
        if not frontier.closed:
            behind = frontier.behind(generation)
    unfinished = in_flight.count + behind + left
    frontier.close()  # in the step that saw nothing in flight: nothing taken after it
    await asyncio.sleep(0.05)  # the agents' streams acknowledge what was just finished
    await record_cache.flushed(COMMIT_WAIT)  # partitions leave with their writes on the broker
    # Faust's commit, finding one under way (its periodic one, begun before the drain ended and
    # covering only what was acknowledged then), waits for it and commits nothing of its own:
    # what finished meanwhile was handled again by the next owner (3,413 records in ``make
    # faults``' SIGTERM scenario, stop 32). That one ends first; one begun after covers all.
    await cast(Any, consumer).maybe_wait_for_commit_to_finish()  # Faust's Consumer has it
    committed = await consumer.commit()
    if unacknowledged := len(unacked_sends):  # (docs/limits-and-choices.md: a late flush)
        log.warning(
            "%s: %d sends still unacknowledged as the partitions leave: a changelog "
            "record among them can land after the next owner's",
            during,
            unacknowledged,
        )
    health(
        "drained",
        during=during,
        inFlight=holding,
        finished=holding - min(holding, in_flight.count),
        caughtUp=max(0, lagging - behind - left),
        unfinished=unfinished,
        committed=bool(committed),
        unacknowledged=unacknowledged,
        seconds=round(time.monotonic() - started, 3),
    )
