"""Per-user totals over HTTP: one user (from its owner), all users (gathered), revenue windows."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import faust
from aiohttp import web

from app.application import app
from app.runtime.assignment import owned_partitions
from app.settings import settings
from domain import aggregates, paging
from domain.aggregates import UserAggregate
from domain.types import now_utc, utc_iso
from tables.aggregates import orders_per_minute, revenue_hourly, user_aggregates
from views.http.bodies import json
from views.http.errors import problem
from views.http.gather import gather, scannable
from views.http.lists import list_params, paged, whole
from views.http.routing import not_on_broker, read_one, route

SORTS = {
    "amount": lambda t: (-t["amountConfirmed"], t["userId"]),
    "orders": lambda t: (-t["ordersPlaced"], t["userId"]),
    "recent": lambda t: (paging.latest_first(t["lastOrderAt"]), t["userId"]),
    "user": lambda t: (t["userId"],),
}


def _totals(state: UserAggregate) -> dict[str, Any]:
    return state.totals.model_dump(mode="json", exclude={"stream", "key_field"})


@scannable("aggregates", user_aggregates.table)
def scan_totals(params: dict[str, str]) -> list[dict[str, Any]]:
    return [
        _totals(UserAggregate.model_validate_json(raw)) for raw in user_aggregates.table.values()
    ]


@app.page("/aggregates")
class AggregatesView(faust.web.View):
    """``{items: [UserTotals…], nextCursor}`` over every user, from every worker's partitions."""

    async def get(self, request: web.Request) -> web.Response:
        sort_name, limit, cursor = list_params(request, SORTS, default_sort="amount")
        items = await gather("aggregates", {}, key="userId")
        if isinstance(items, web.Response):
            return items
        return paged(items, SORTS[sort_name], limit, cursor)


@app.page("/aggregates/{user_id}")
class UserAggregateView(faust.web.View):
    async def get(self, request: web.Request, user_id: str) -> web.Response:
        return await read_one(request, user_aggregates, user_id, _totals, "user")


@app.page("/aggregates/{user_id}/revenue")
class RevenueView(faust.web.View):
    """Confirmed revenue per hour for the last ``hours`` (default 24), oldest first."""

    async def get(self, request: web.Request, user_id: str) -> web.Response:
        hours = _hours(request)
        if isinstance(hours, web.Response):
            return hours

        async def local() -> web.Response:
            rows = []
            for start in aggregates.last_hours(now_utc(), hours):
                window = (start.timestamp(), start.timestamp() + 3600 - 0.1)
                orders = revenue_hourly.table.get((user_id, window)) or {}
                rows.append({"hour": utc_iso(start), "revenue": round(sum(orders.values()), 2)})
            if (not_yet := await not_on_broker(revenue_hourly.table, None)) is not None:
                return not_yet  # a windowed table: its writes' sends in flight, all of them
            return json({"userId": user_id, "hours": rows})

        return await route(request, user_aggregates.table, user_id, local)


def _hours(request: web.Request) -> int | web.Response:
    raw, kept = request.query.get("hours", "24"), settings.revenue_hours
    if not whole(raw) or not 1 <= int(raw) <= kept:
        return problem(400, "invalid_hours", f"hours must be a whole number from 1 to {kept}")
    return int(raw)


@scannable("orders-per-minute", orders_per_minute.table)
def scan_minutes(params: dict[str, str]) -> list[dict[str, Any]]:
    """Per owned partition: orders placed in each of the last ``minutes`` minutes."""
    minutes = int(params.get("minutes", "60"))
    now = float(params.get("now") or now_utc().timestamp())
    starts = [now // 60 * 60 - 60 * i for i in range(minutes - 1, -1, -1)]
    table = orders_per_minute.table
    return [
        {"partition": p, "starts": starts,
         "counts": [len(table.get((f"p{p}", (s, s + 60 - 0.1))) or {}) for s in starts]}
        for p in owned_partitions(table)
    ]  # fmt: skip


@app.page("/stats/orders-per-minute")
class OrdersPerMinuteView(faust.web.View):
    """Orders placed per minute over every partition (a tumbling window), oldest first."""

    async def get(self, request: web.Request) -> web.Response:
        raw = request.query.get("minutes", "60")
        if not whole(raw) or not 1 <= int(raw) <= 120:
            return problem(400, "invalid_minutes", "minutes must be a whole number from 1 to 120")
        now = str(now_utc().timestamp())  # one clock for every worker's buckets
        parts = await gather("orders-per-minute", {"minutes": raw, "now": now}, key="partition")
        if isinstance(parts, web.Response):
            return parts
        starts = parts[0]["starts"] if parts else []
        totals = [sum(p["counts"][i] for p in parts) for i in range(len(starts))]
        rows = [
            {"minute": utc_iso(datetime.fromtimestamp(s, UTC)), "orders": n}
            for s, n in zip(starts, totals, strict=True)
        ]
        return json({"minutes": rows})
