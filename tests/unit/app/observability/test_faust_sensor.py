"""``LeanPrometheusMonitor`` writes what Faust's ``PrometheusMonitor`` writes, series for series,
value for value (only the lookup of a labelled series is kept between records)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from faust.sensors.prometheus import FaustMetrics, PrometheusMonitor
from faust.types import TP
from prometheus_client import CollectorRegistry, generate_latest

from app.observability.faust_sensor import LeanPrometheusMonitor


class Task:
    pass


class Stream:
    def __init__(self, label: str) -> None:
        self.shortlabel = f"Stream: {label}"
        self.task_owner = Task()  # Faust's base monitor counts events per task too


def exercise(monitor: Any) -> None:
    """The calls a worker makes, on two topics, two streams and two tables, several times."""
    streams = [Stream("orders.events"), Stream("inventory.commands")]
    tables = [SimpleNamespace(name="sagas"), SimpleNamespace(name="stock-levels")]
    message = SimpleNamespace(tp=None)
    for n in range(3):
        if n == 1:  # a rebalance: Faust removes the per-topic and per-partition series
            monitor._clear_partition_related_metrics()
        for i, topic in enumerate(("orders.events", "inventory.commands")):
            tp = TP(topic, n % 2)
            monitor.on_message_in(tp, 10 * n + i, message)
            event = SimpleNamespace(message=message)
            state = monitor.on_stream_event_in(tp, 10 * n + i, streams[i], event)
            monitor.on_stream_event_out(tp, 10 * n + i, streams[i], event, state)
            monitor.on_table_get(tables[i], b"k")
            monitor.on_table_set(tables[i], b"k", b"v")
            if n == 2:
                monitor.on_table_del(tables[i], b"k")
            monitor.on_send_initiated(None, f"{topic}-out", None, 1, 2)


def rendered(cls: type[PrometheusMonitor]) -> list[str]:
    registry = CollectorRegistry()
    monitor = cls(metrics=FaustMetrics.create(registry, "faust"))
    exercise(monitor)
    lines = generate_latest(registry).decode().splitlines()
    # the runtime histogram's sums differ by the clock; its counts and every other line must not
    return [line for line in lines if "events_runtime" not in line or "_count" in line]


def test_the_lean_sensor_writes_what_faust_writes() -> None:
    lean, faust = rendered(LeanPrometheusMonitor), rendered(PrometheusMonitor)
    assert lean == faust
    written = [line for line in lean if not line.startswith("#") and not line.endswith(" 0.0")]
    assert (
        'faust_table_operations_total{operation="keys_deleted",table="table.sagas"} 1.0' in written
    )
    assert (
        'faust_total_events_per_stream_total{stream="stream.orders.events.events"} 3.0' in written
    )
    assert (
        'faust_messages_received_per_topics_partition{partition="1",topic="orders.events"} 10.0'
        in written
    )
