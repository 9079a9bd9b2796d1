"""Per-user totals by userId, and the windows: confirmed revenue per user per hour, orders per
minute (per partition, summed across workers when read)."""

from __future__ import annotations

from datetime import timedelta

from app.faust_app import app, settings
from domain.aggregates import UserAggregate
from tables.store import JsonTable

user_aggregates = JsonTable("user-aggregates", UserAggregate, "UserAggregate by userId")

revenue_hourly = app.Table(
    "revenue-hourly", default=float, partitions=settings.topic_partitions,
    help="confirmed revenue by (userId, hour)",
).tumbling(3600, expires=timedelta(hours=settings.revenue_hours))  # fmt: skip

orders_per_minute = app.Table(
    "orders-per-minute", default=int, partitions=settings.topic_partitions,
    help="orders placed by (partition, minute)",
).tumbling(60, expires=timedelta(hours=2))  # fmt: skip
