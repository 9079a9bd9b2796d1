"""Orders over HTTP: POST /orders (202, idempotent with a key), GET /orders/{id}/status."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import faust
from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from app.application import app
from app.settings import settings
from domain import paging
from domain.envelope import derive_event_id
from domain.messages import LineItem, PlaceOrder
from domain.order_status import TERMINAL, OrderStatus
from domain.orders import MAX_LINES, MAX_QUANTITY
from domain.types import Currency, Id, Sku
from tables.order_status import order_statuses
from views.http.admission import refused
from views.http.bodies import json, publish, read_body
from views.http.errors import BadRequestError, problem
from views.http.gather import gather, scannable
from views.http.lists import list_params, paged
from views.http.routing import not_on_broker, read_one, route, unavailable
from views.http.waiters import TooManyWaiters, Waiters

_IDEMPOTENCY = uuid.UUID("5b0f3f8e-3a4c-4c1e-8f7e-0c9d7a2b6e41")
status_waiters = Waiters(settings.longpoll_limit)  # GET …/status?wait= readers on this worker
order_statuses.subscribe(status_waiters.notify)  # a status written wakes its order's long-polls


class RequestedItem(BaseModel):
    """One line of ``POST /orders`` and of ``POST /carts/{userId}/items``."""

    model_config = ConfigDict(extra="forbid")
    sku: Sku
    quantity: int = Field(gt=0, le=MAX_QUANTITY, strict=True)


class OrderRequest(BaseModel):
    """The body of ``POST /orders``; the business rules run later, in the order handler."""

    model_config = ConfigDict(extra="forbid")
    userId: Id
    items: list[RequestedItem] = Field(min_length=1, max_length=MAX_LINES)
    currency: Currency


def order_id_for(user_id: str, idempotency_key: str | None) -> str:
    """A retried request with the same key gets the same orderId (and so places one order)."""
    if not idempotency_key:
        return str(uuid.uuid4())
    return str(uuid.uuid5(_IDEMPOTENCY, f"{user_id}/{idempotency_key}"))


STATUS_SORTS = {"recent": lambda s: (paging.latest_first(s["lastUpdated"]), s["orderId"])}


@scannable("orders", order_statuses.table)
def scan_statuses(params: dict[str, str]) -> list[dict[str, Any]]:
    """This worker's order statuses, filtered by ``user`` and ``status`` before they travel."""
    user, status = params.get("user"), params.get("status")
    found = []
    for raw in order_statuses.table.values():
        order = OrderStatus.model_validate_json(raw)
        if (user is None or order.userId == user) and (status is None or order.status == status):
            found.append(order.public())
    return found


@app.page("/orders")
class OrdersView(faust.web.View):
    async def get(self, request: web.Request) -> web.Response:
        """``{items: [status…], nextCursor}``, newest first, from every worker's partitions."""
        sort_name, limit, cursor = list_params(request, STATUS_SORTS, default_sort="recent")
        filters = {k: request.query[k] for k in ("user", "status") if request.query.get(k)}
        items = await gather("orders", filters, key="orderId")
        if isinstance(items, web.Response):
            return items
        return paged(items, STATUS_SORTS[sort_name], limit, cursor)

    async def post(self, request: web.Request) -> web.Response:
        body = await read_body(request, OrderRequest)
        key = request.headers.get("Idempotency-Key")
        if key is not None and not 0 < len(key) <= 200:
            return problem(
                400, "invalid_idempotency_key", "Idempotency-Key must be 1..200 characters"
            )
        order_id = order_id_for(body.userId, key)
        skus = (i.sku for i in body.items)
        if (busy := refused(body.userId, order_id, skus, keyed=bool(key))) is not None:
            return busy
        command = PlaceOrder(
            orderId=order_id, userId=body.userId, currency=body.currency,
            items=[LineItem(sku=i.sku, quantity=i.quantity) for i in body.items],
        )  # fmt: skip
        env = await publish(command, event_id=derive_event_id(order_id, "place") if key else None)
        answer = {"orderId": order_id, "eventId": str(env.eventId), "status": "PENDING"}
        return json(answer, status=202, headers={"Location": f"/orders/{order_id}/status"})


@app.page("/orders/{order_id}/status")
class OrderStatusView(faust.web.View):
    """The status, details and history of one order; 404 when no event of it was seen."""

    async def get(self, request: web.Request, order_id: str) -> web.Response:
        wait, until_terminal = _wait(request), _until_terminal(request)
        if not wait:
            return await read_one(request, order_statuses, order_id, OrderStatus.public, "order")
        return await route(
            request,
            order_statuses.table,
            order_id,
            lambda: _long_poll(order_id, wait, until_terminal),
        )


def _wait(request: web.Request) -> float:
    """``?wait=S``: seconds to wait for a change, capped at ``ORDERS_LONGPOLL_MAX``."""
    raw = request.query.get("wait", "0")
    try:
        wait = float(raw)
    except ValueError:
        raise BadRequestError(
            problem(400, "invalid_wait", "wait must be a number of seconds")
        ) from None
    if not 0 <= wait < float("inf"):
        raise BadRequestError(problem(400, "invalid_wait", "wait must be a number of seconds"))
    return min(wait, settings.longpoll_max)


def _until_terminal(request: web.Request) -> bool:
    """``?until=terminal``: wait for the outcome, not for the next step (one request per order)."""
    until = request.query.get("until")
    if until not in (None, "terminal"):
        raise BadRequestError(problem(400, "invalid_until", "until must be 'terminal'"))
    return until == "terminal"


def _news(first: OrderStatus | None, current: OrderStatus | None, until_terminal: bool) -> bool:
    """Something to answer: the order appeared, its status moved, or it cannot move any more
    (with ``until_terminal`` only the last)."""
    if current is None:
        return False
    if current.status in TERMINAL:
        return True
    return not until_terminal and (first is None or current.status != first.status)


async def _long_poll(order_id: str, wait: float, until_terminal: bool) -> web.Response:
    """Answer when the status differs from what it was on arrival (or the order appears), or
    with the current status once ``wait`` has passed; a terminal status answers at once."""
    first = order_statuses.get(order_id)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + wait
    current = first
    while not _news(first, current, until_terminal):
        left = deadline - loop.time()
        try:
            if left <= 0 or not await status_waiters.changed(order_id, left):
                break
        except TooManyWaiters as exc:
            return unavailable(str(exc))
        current = order_statuses.get(order_id)
    if current is None:
        return problem(404, "not_found", f"no order {order_id!r}")
    if (not_yet := await not_on_broker(order_statuses.table, order_id)) is not None:
        return not_yet
    return json(current.public())
