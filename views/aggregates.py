"""Per-user totals over HTTP: one user (from its owner), all users (gathered), revenue windows."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal

import faust
from aiohttp import web
from pydantic import BaseModel, Field

from app.application import app
from app.runtime.assignment import owned_partitions
from app.settings import settings
from domain import aggregates, paging
from domain.aggregates import UserAggregate
from domain.messages import UserTotals
from domain.types import now_utc, utc_iso
from tables.aggregates import (
    minute_keys,
    orders_per_minute,
    placed_orders,
    revenue_hourly,
    user_aggregates,
)
from views.http.bodies import json
from views.http.contract import Query, Whole, operation
from views.http.gather import gather, scannable
from views.http.lists import ListQuery, Page, paged
from views.http.routing import not_on_broker, read_one, route

SORTS = {
    "amount": lambda t: (-t["amountConfirmed"], t["userId"]),
    "orders": lambda t: (-t["ordersPlaced"], t["userId"]),
    "recent": lambda t: (paging.latest_first(t["lastOrderAt"]), t["userId"]),
    "user": lambda t: (t["userId"],),
}


class AggregatesQuery(ListQuery):
    sort: Literal["amount", "orders", "recent", "user"] = Field(
        "amount", description="amount confirmed, orders placed (both largest first), the latest "
        "order first, or by user id",
    )  # fmt: skip


class HourRevenue(BaseModel):
    hour: str = Field(description="the hour's start, UTC ISO 8601")
    revenue: float = Field(description="confirmed revenue in that hour")


class Revenue(BaseModel):
    userId: str
    hours: list[HourRevenue]


class RevenueQuery(Query):
    hours: Whole = Field(
        24, ge=1, le=settings.revenue_hours, description="how many of the last hours"
    )


class MinuteCount(BaseModel):
    minute: str = Field(description="the minute's start, UTC ISO 8601")
    orders: int


class PerMinute(BaseModel):
    minutes: list[MinuteCount]


class PerMinuteQuery(Query):
    minutes: Whole = Field(60, ge=1, le=120, description="how many of the last minutes")


def _totals(state: UserAggregate) -> dict[str, Any]:
    return state.totals.model_dump(mode="json", exclude={"stream", "key_field"})


@scannable("aggregates", user_aggregates.table)
def scan_totals(params: dict[str, str]) -> list[dict[str, Any]]:
    return [
        _totals(UserAggregate.model_validate_json(raw)) for raw in user_aggregates.table.values()
    ]


@app.page("/aggregates")
class AggregatesView(faust.web.View):
    @operation("Every user's totals", tag="aggregates", ok=(200, Page[UserTotals]),
               errors=(503,), query=AggregatesQuery)  # fmt: skip
    async def get(self, request: web.Request, query: AggregatesQuery) -> web.Response:
        """Over every user, from every worker's partitions (a 503 rather than a partial list)."""
        items = await gather("aggregates", {}, key="userId")
        if isinstance(items, web.Response):
            return items
        return paged(items, SORTS[query.sort], query)


@app.page("/aggregates/{user_id}")
class UserAggregateView(faust.web.View):
    @operation("One user's totals", tag="aggregates", ok=(200, UserTotals), errors=(404, 503))
    async def get(self, request: web.Request, user_id: str) -> web.Response:
        return await read_one(request, user_aggregates, user_id, _totals, "user")


@app.page("/aggregates/{user_id}/revenue")
class RevenueView(faust.web.View):
    @operation("A user's revenue per hour", tag="aggregates", ok=(200, Revenue), errors=(503,),
               query=RevenueQuery)  # fmt: skip
    async def get(self, request: web.Request, user_id: str, query: RevenueQuery) -> web.Response:
        """Confirmed revenue per hour for the last ``hours``, oldest first (a tumbling window)."""
        hours = query.hours

        async def local() -> web.Response:
            rows = []
            for start in aggregates.last_hours(now_utc(), hours):
                window = (start.timestamp(), start.timestamp() + 3600 - 0.1)
                orders = revenue_hourly.table.get((user_id, window)) or {}
                revenue = round(sum(orders.values()), 2)
                rows.append(HourRevenue(hour=utc_iso(start), revenue=revenue))
            if (not_yet := await not_on_broker(revenue_hourly.table, None)) is not None:
                return not_yet  # a windowed table: its writes' sends in flight, all of them
            return json(Revenue(userId=user_id, hours=rows).model_dump())

        return await route(request, user_aggregates.table, user_id, local)


@scannable("orders-per-minute", orders_per_minute.table)
def scan_minutes(params: dict[str, str]) -> list[dict[str, Any]]:
    """Per owned partition: orders placed in each of the last ``minutes`` minutes."""
    minutes = int(params.get("minutes", "60"))
    now = float(params.get("now") or now_utc().timestamp())
    starts = [now // 60 * 60 - 60 * i for i in range(minutes - 1, -1, -1)]
    table = orders_per_minute.table

    def placed(p: int, start: float) -> int:  # an order under the old key and a new one: once
        window = (start, start + 60 - 0.1)
        return placed_orders(table.get((key, window)) for key in minute_keys(p))

    return [
        {"partition": p, "starts": starts, "counts": [placed(p, s) for s in starts]}
        for p in owned_partitions(table)
    ]


@app.page("/stats/orders-per-minute")
class OrdersPerMinuteView(faust.web.View):
    @operation("Orders per minute", tag="aggregates", ok=(200, PerMinute), errors=(503,),
               query=PerMinuteQuery)  # fmt: skip
    async def get(self, request: web.Request, query: PerMinuteQuery) -> web.Response:
        """Orders placed per minute over every partition (a tumbling window), oldest first."""
        raw = str(query.minutes)
        now = str(now_utc().timestamp())  # one clock for every worker's buckets
        parts = await gather("orders-per-minute", {"minutes": raw, "now": now}, key="partition")
        if isinstance(parts, web.Response):
            return parts
        starts = parts[0]["starts"] if parts else []
        totals = [sum(p["counts"][i] for p in parts) for i in range(len(starts))]
        rows = [
            MinuteCount(minute=utc_iso(datetime.fromtimestamp(s, UTC)), orders=n)
            for s, n in zip(starts, totals, strict=True)
        ]
        return json(PerMinute(minutes=rows).model_dump())
