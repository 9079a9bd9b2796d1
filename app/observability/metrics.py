"""Prometheus metrics of a worker, in one registry: Faust's own sensor and the business metrics.

Counters are updated in memory as records are handled; whatever needs a look at the consumer or
the broker (lag, circuit states, the DLQ's size) is read only when ``/metrics`` is scraped.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any, get_args

from faust.sensors.prometheus import FaustMetrics, PrometheusMonitor
from prometheus_client import (
    CollectorRegistry,
    Counter,
    Histogram,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from app.observability.faust_sensor import LeanPrometheusMonitor
from domain.dead_letter import FailureReason

disable_created_metrics()  # type: ignore[no-untyped-call]  # a *_created series per counter is noise
REGISTRY = CollectorRegistry()
DLQ_REASONS: tuple[str, ...] = get_args(FailureReason)
ORDER_OUTCOMES = ("CONFIRMED", "CANCELLED", "REJECTED")
SAGA_OUTCOMES = (
    "confirmed",
    "out_of_stock",
    "payment_rejected",
    "timeout",
    "cancelled_by_customer",
)
CIRCUIT_STATES = ("closed", "half-opened", "opened")
SAGA_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120)

orders_finished = Counter(
    "orders_finished",
    "Orders that reached a terminal status, counted by the worker owning the order's partition",
    ["outcome"],
    registry=REGISTRY,
)
orders_refused = Counter(
    "orders_refused",
    "New orders answered 429 at the edge: the backlog ahead of them was over the budget",
    registry=REGISTRY,
)
saga_duration = Histogram(
    "orders_saga_duration_seconds",
    "Seconds from OrderCreated to the saga's end (confirmed, or cancelled with a reason)",
    ["outcome"],
    buckets=SAGA_BUCKETS,
    registry=REGISTRY,
)
for _outcome in ORDER_OUTCOMES:
    orders_finished.labels(_outcome)
for _outcome in SAGA_OUTCOMES:
    saga_duration.labels(_outcome)


def faust_monitor() -> PrometheusMonitor:
    """Faust's own Prometheus sensor (messages, events, table operations, sends, rebalances,
    web requests), named ``faust_*`` whatever the app id, in our registry; its series looked up
    once (``LeanPrometheusMonitor``)."""
    return LeanPrometheusMonitor(metrics=FaustMetrics.create(REGISTRY, "faust"))


def render() -> bytes:
    return generate_latest(REGISTRY)


def values(metric: Counter | Histogram, suffix: str = "_total") -> dict[str, float]:
    """``{first label value: value}`` of one sample kind (``_total``, ``_count``, ``_sum``)."""
    out: dict[str, float] = {}
    for family in metric.collect():
        for sample in family.samples:
            if sample.name.endswith(suffix):
                out[next(iter(sample.labels.values()))] = sample.value
    return out


def total(metric: Counter) -> float:
    """A counter's value, summed over its labels."""
    return sum(s.value for f in metric.collect() for s in f.samples if s.name.endswith("_total"))


def buckets(metric: Histogram, outcome: str) -> dict[str, float]:
    """Cumulative bucket counts of one outcome: ``{"0.5": n, …, "+Inf": n}``."""
    return {
        sample.labels["le"]: sample.value
        for family in metric.collect()
        for sample in family.samples
        if sample.name.endswith("_bucket") and sample.labels["outcome"] == outcome
    }


def per_partition(name: str, doc: str, rows: list[dict[str, Any]], field: str) -> GaugeMetricFamily:
    """A gauge labelled by topic and partition, one sample per row's ``field``."""
    gauge = GaugeMetricFamily(name, doc, labels=["topic", "partition"])
    for row in rows:
        gauge.add_metric([row["topic"], str(row["partition"])], row[field])
    return gauge


class LiveCollector(Collector):
    """The metrics read at scrape time from ``source()`` (see ``app.observability.stats.live``)."""

    def __init__(self, source: Callable[[], Mapping[str, Any]]) -> None:
        self.source = source

    def collect(self) -> Iterator[Metric]:
        live = self.source()
        records = CounterMetricFamily(
            "orders_records", "Records handled by the owning agents, by result", labels=["result"]
        )
        for result, n in live["records"].items():
            records.add_metric([result], n)
        yield records
        dlq = CounterMetricFamily(
            "orders_dlq_messages", "Records this worker sent to orders.dlq", labels=["reason"]
        )
        for reason, n in live["dlq"].items():
            dlq.add_metric([reason], n)
        yield dlq
        size = GaugeMetricFamily("orders_dlq_size", "Records in the orders.dlq topic now")
        if live["dlqSize"] is not None:
            size.add_metric([], live["dlqSize"])
        yield size
        circuits = GaugeMetricFamily(
            "orders_circuit_breaker_state",
            "1 for the current state of each payment circuit (closed, half-opened, opened)",
            labels=["circuit", "state"],
        )
        for circuit, state in live["circuits"].items():
            for name in CIRCUIT_STATES:
                circuits.add_metric([circuit, name], 1.0 if state == name else 0.0)
        yield circuits
        yield per_partition(
            "orders_consumer_lag",
            "Records not yet committed: log end offset minus committed offset",
            live["lag"],
            "lag",
        )
        yield per_partition(
            "orders_partition_stalled_seconds",
            "Seconds an owned input partition has had records waiting and no committed progress",
            live["stalled"],
            "seconds",
        )
        audit = CounterMetricFamily(
            "orders_audit_lines", "Audit trail lines, by result", labels=["result"]
        )
        audit.add_metric(["written"], live["audit"]["written"])
        audit.add_metric(["failed"], live["audit"]["failed"])
        yield audit
