"""How long a fetch may wait at the broker for records: Faust's 1.5 s is a pacer here.

aiokafka keeps one fetch request in flight per broker, and leaves out of it every partition
whose records it still holds for the application. Once those are handed out, they can be asked
for again only when the request in flight returns; that request holds the partitions that had
nothing, and the broker keeps it until one of them has a record or ``fetch_max_wait_ms`` has
passed. Faust's worker consumer fixes that wait at 1,500 ms (aiokafka's default is 500). When
the records of an order move between partitions the request in flight does not cover, the
next record waits for that timeout: a worker with a backlog on the broker sat idle, and a hop at
a trickle took up to the whole wait (docs/performance.md, "What paced one worker").

``ORDERS_FETCH_MAX_WAIT_MS`` sets it; an idle worker then sends one fetch per broker per
interval, each costing it CPU. Faust's client-only consumer (no group) keeps aiokafka's 500 ms.

With ``ORDERS_FETCH_SESSIONS`` (the default) the fetcher's requests go out in incremental
fetch sessions (``app.runtime.fetch_sessions``): a fetch names only what changed."""

from __future__ import annotations

from typing import Any

from faust.transport.drivers import aiokafka as faust_kafka

from app.runtime.fetch_sessions import FetchSessions

_wait_ms = [1500]  # Faust's value until the app configures it (``ORDERS_FETCH_MAX_WAIT_MS``)
_sessions = [False]  # fetch in incremental sessions (``ORDERS_FETCH_SESSIONS``)


def configure(wait_ms: int, sessions: bool = False) -> None:
    """The fetch wait of the worker consumers built from now on, and whether they fetch in
    sessions (the app sets both at import)."""
    _wait_ms[0], _sessions[0] = wait_ms, sessions


class FetchWaitThread(faust_kafka.AIOKafkaConsumerThread):
    """Faust's consumer thread with the worker consumer's fetch wait from the settings."""

    def _create_worker_consumer(self, transport: faust_kafka.Transport) -> Any:
        consumer = super()._create_worker_consumer(transport)
        # aiokafka hands this to its fetcher at start (``AIOKafkaConsumer.start``); Faust passes
        # a constant, so it is set on the client before that (tests/unit: the fetcher's value)
        consumer._fetch_max_wait_ms = _wait_ms[0]
        return consumer

    async def on_start(self) -> None:
        await super().on_start()  # builds and starts the aiokafka consumer, and its fetcher
        if _sessions[0]:
            fetcher = self._consumer._fetcher  # type: ignore[union-attr]
            fetcher._client = FetchSessions(fetcher)


class FetchWaitConsumer(faust_kafka.Consumer):
    """Faust's aiokafka consumer on ``FetchWaitThread`` (the app's consumer builds on it)."""

    def _new_consumer_thread(self) -> FetchWaitThread:
        return FetchWaitThread(self, loop=self.loop, beacon=self.beacon)
