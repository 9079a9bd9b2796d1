"""Faust's Prometheus sensor with its labelled series looked up once, not on every record.

Faust's ``PrometheusMonitor`` calls ``labels(...)`` on every record received, every event a
stream takes, every table read and write and every send: a lock, a tuple of label values and a
dict lookup each time, and for events a label made again from the stream's name (a profile of
one worker: Faust's sensors were 10 % of its main thread, a third of that in ``labels``). The
series and their values are Faust's own (``faust_*`` on ``/metrics``); only the lookup is kept.
"""

from __future__ import annotations

import weakref
from typing import Any

from faust.sensors.monitor import Monitor
from faust.sensors.prometheus import PrometheusMonitor
from faust.types import TP, CollectionT, EventT, Message, ProducerT, StreamT


class LeanPrometheusMonitor(PrometheusMonitor):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._series: dict[Any, Any] = {}  # (kind, what) -> the labelled child
        self._streams: weakref.WeakKeyDictionary[Any, Any] = weakref.WeakKeyDictionary()
        self._tables: dict[str, dict[str, Any]] = {}  # table name -> operation -> its series

    def _child(self, key: Any, make: Any) -> Any:
        child = self._series.get(key)
        if child is None:
            child = self._series[key] = make()
        return child

    def on_message_in(self, tp: TP, offset: int, message: Message) -> None:
        Monitor.on_message_in(self, tp, offset, message)
        metrics = self._metrics
        metrics.messages_received.inc()
        metrics.active_messages.inc()
        self._child(
            ("topic", tp.topic),
            lambda: metrics.messages_received_per_topics.labels(topic=tp.topic),
        ).inc()
        self._child(
            ("tp", tp),
            lambda: metrics.messages_received_per_topics_partition.labels(
                topic=tp.topic, partition=tp.partition
            ),
        ).set(offset)

    def on_stream_event_in(
        self, tp: TP, offset: int, stream: StreamT[Any], event: EventT[Any]
    ) -> dict[str, Any] | None:
        state = Monitor.on_stream_event_in(self, tp, offset, stream, event)
        metrics = self._metrics
        metrics.total_events.inc()
        metrics.total_active_events.inc()
        child = self._streams.get(stream)  # an agent restarted makes a new stream: not kept
        if child is None:
            label = f"stream.{self._stream_label(stream)}.events"
            child = self._streams[stream] = metrics.total_events_per_stream.labels(stream=label)
        child.inc()
        return state

    def _clear_partition_related_metrics(self) -> None:
        """Faust removes the per-topic and per-partition series at each rebalance: a series kept
        here would go on counting unexported. They are looked up again."""
        super()._clear_partition_related_metrics()
        for key in [k for k in self._series if k[0] in ("topic", "tp", "sent")]:
            del self._series[key]

    def _table_op(self, table: CollectionT, operation: str) -> Any:
        """The table's labelled series for ``operation``, made at its first use (as Faust)."""
        ops = self._tables.get(table.name)
        if ops is None:
            ops = self._tables[table.name] = {}
        child = ops.get(operation)
        if child is None:
            child = ops[operation] = self._metrics.table_operations.labels(
                table=f"table.{table.name}", operation=operation
            )
        return child

    def on_table_get(self, table: CollectionT, key: Any) -> None:
        Monitor.on_table_get(self, table, key)
        self._table_op(table, self.KEYS_RETRIEVED).inc()

    def on_table_set(self, table: CollectionT, key: Any, value: Any) -> None:
        Monitor.on_table_set(self, table, key, value)
        self._table_op(table, self.KEYS_UPDATED).inc()

    def on_table_del(self, table: CollectionT, key: Any) -> None:
        Monitor.on_table_del(self, table, key)
        self._table_op(table, self.KEYS_DELETED).inc()

    def on_send_initiated(
        self, producer: ProducerT, topic: str, message: Any, keysize: int, valsize: int
    ) -> Any:
        self._child(
            ("sent", topic),
            lambda: self._metrics.topic_messages_sent.labels(topic=f"topic.{topic}"),
        ).inc()
        return Monitor.on_send_initiated(self, producer, topic, message, keysize, valsize)
