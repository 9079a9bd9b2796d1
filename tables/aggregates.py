"""Per-user totals by userId, and the windows: confirmed revenue per user per hour, orders per
minute (per partition, summed across workers when read)."""

from __future__ import annotations

import time
from collections.abc import Iterable
from contextlib import suppress
from datetime import datetime, timedelta
from typing import Any

import orjson
from faust.types import EventT

from app.application import app
from app.runtime.hashing import key_hash
from app.settings import settings
from domain.aggregates import Settled, UserAggregate
from tables.store import JsonTable

user_aggregates = JsonTable("user-aggregates", UserAggregate, "UserAggregate by userId")
# how each settled order of a user ended, by userId/orderId: the user's value stays small
user_orders = JsonTable("user-orders", Settled, "each settled order of a user, by userId/orderId")


def event_time(event: EventT[Any] | None) -> float:
    """Windows follow the time the event says it happened (its envelope ``timestamp``), not the
    time the repartition forwarded it: lag, failover and replay land in the same window."""
    if event is not None:
        with suppress(Exception):
            stamp = orjson.loads(event.message.value or b"")["timestamp"]
            return datetime.fromisoformat(stamp).timestamp()
    return time.time()


# Window values are {orderId: amount}: adding an order twice is a no-op, so a redelivered event
# changes no window, whichever of the aggregator's writes survived a crash.
revenue_hourly = (
    app.Table("revenue-hourly", default=dict, partitions=settings.topic_partitions,
              extra_topic_configs=settings.durability(),
              help="confirmed orders and amounts by (userId, hour)")
    .tumbling(3600, expires=timedelta(hours=settings.revenue_hours))
    .relative_to(event_time)  # type: ignore[attr-defined]  # WindowWrapper has it, its interface not
)  # fmt: skip

# An orders-per-minute value lists the minute's orders of one partition's share of them: a key per
# partition made it grow with the rate (3,000 order ids a minute per partition at 150 orders/s),
# and every order wrote it whole again to RocksDB and to the changelog, which the standby
# replicas read too (57 % of all changelog bytes in ``make bench``). The orders of a partition's
# minute are spread over MINUTE_SHARDS keys by their id, so each value is that much smaller.
MINUTE_SHARDS = 16


def minute_key(partition: int, order_id: str) -> str:
    """The key an order placed on ``partition`` is counted under: ``p{partition}.{shard}``."""
    return f"p{partition}.{key_hash(order_id.encode()) % MINUTE_SHARDS}"


def minute_keys(partition: int) -> list[str]:
    """Every key a partition's orders of one minute are counted under (``p{partition}`` as well:
    what a worker before the shards wrote, kept for the two hours the windows last)."""
    return [f"p{partition}", *(f"p{partition}.{s}" for s in range(MINUTE_SHARDS))]


def placed_orders(values: Iterable[dict[str, Any] | None]) -> int:
    """The orders of one partition's minute, from the values of its keys: an order counted under
    the old key and again under a new one (a record handled again across the upgrade) once."""
    return len(set().union(*(value or {} for value in values)))


orders_per_minute = (
    app.Table("orders-per-minute", default=dict, partitions=settings.topic_partitions,
              extra_topic_configs=settings.durability(),
              help="orders placed by (partition, minute)")
    .tumbling(60, expires=timedelta(hours=2))
    .relative_to(event_time)  # type: ignore[attr-defined]
)  # fmt: skip
