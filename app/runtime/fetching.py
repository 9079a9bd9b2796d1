"""How long a fetch may wait at the broker for records: Faust's 1.5 s is a pacer here.

aiokafka keeps one fetch request in flight per broker, and leaves out of it every partition
whose records it still holds for the application. Once those are handed out, they can be asked
for again only when the request in flight returns; that request holds the partitions that had
nothing, and the broker keeps it until one of them has a record or ``fetch_max_wait_ms`` has
passed. Faust's worker consumer fixes that wait at 1,500 ms (aiokafka's default is 500). When
the records of an order move between partitions the request in flight does not cover, the
next record waits for that timeout: a worker with a backlog on the broker sat idle, and a hop at
a trickle took up to the whole wait (docs/performance.md, "What paced one worker").

``ORDERS_FETCH_MAX_WAIT_MS`` sets it (20 ms): an idle worker then sends one fetch per interval.
Measured: one worker with 2,000 orders of backlog, 94 to 108 orders/s at 1,500 ms and 136 to 146
at 100, 50 and 20 ms; two workers at 100 orders/s, p50/p99 296-367/562-700 ms at 20 ms against
386-439/814-899 at 100; idle, a worker's CPU 1.1 % of a core at 1,500 ms, 5.1 % at 20."""

from __future__ import annotations

from typing import Any

from faust.transport.drivers import aiokafka as faust_kafka

_wait_ms = [20]  # the setting's default


def configure(wait_ms: int) -> None:
    _wait_ms[0] = wait_ms


class FetchWaitThread(faust_kafka.AIOKafkaConsumerThread):
    """Faust's consumer thread with the worker consumer's fetch wait from the settings."""

    def _create_worker_consumer(self, transport: Any) -> Any:
        consumer = super()._create_worker_consumer(transport)
        # aiokafka hands this to its fetcher at start (``AIOKafkaConsumer.start``); Faust passes
        # a constant, so it is set on the client before that (tests/unit: the fetcher's value)
        consumer._fetch_max_wait_ms = _wait_ms[0]
        return consumer


class FetchWaitConsumer(faust_kafka.Consumer):
    def _new_consumer_thread(self) -> FetchWaitThread:
        return FetchWaitThread(self, loop=self.loop, beacon=self.beacon)
