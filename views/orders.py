"""Orders over HTTP: POST /orders (202, idempotent with a key), GET /orders/{id}/status."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any, Literal

import faust
from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from app.application import app
from app.settings import settings
from domain import paging
from domain.envelope import derive_event_id
from domain.messages import LineItem, PlaceOrder
from domain.order_status import TERMINAL, OrderShown, OrderState, OrderStatus
from domain.orders import MAX_LINES, MAX_QUANTITY
from domain.types import Currency, Id, Sku
from tables.order_status import order_statuses
from views.http.admission import refused
from views.http.bodies import json, publish, read_body
from views.http.contract import Answer, Query, operation
from views.http.errors import BadRequestError, problem
from views.http.gather import gather, scannable
from views.http.lists import ListQuery, Page, paged
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

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"userId": "user-1", "items": [{"sku": "kb-1", "quantity": 2}], "currency": "EUR"}
            ]
        },
    )
    userId: Id
    items: list[RequestedItem] = Field(min_length=1, max_length=MAX_LINES)
    currency: Currency


def idempotency_key(request: web.Request) -> str | None:
    """The request's ``Idempotency-Key`` (1..200 characters), None without one; else a 400."""
    key = request.headers.get("Idempotency-Key")
    if key is not None and not 0 < len(key) <= 200:
        raise BadRequestError(
            problem(400, "invalid_idempotency_key", "Idempotency-Key must be 1..200 characters")
        )
    return key


def order_id_for(user_id: str, idempotency_key: str | None) -> str:
    """A retried request with the same key gets the same orderId (and so places one order)."""
    if not idempotency_key:
        return str(uuid.uuid4())
    return str(uuid.uuid5(_IDEMPOTENCY, f"{user_id}/{idempotency_key}"))


class OrderAccepted(BaseModel):
    """202 to ``POST /orders`` and to a checkout: the order is on its way (its status follows)."""

    orderId: str
    eventId: str = Field(description="the PlaceOrder's eventId (the same on a keyed retry)")
    status: Literal["PENDING"] = "PENDING"


IDEMPOTENCY_KEY = {
    "Idempotency-Key": "1..200 characters: a retry with the same key places the order once"
}
ACCEPTED = Answer(
    OrderAccepted, "accepted: the order will be placed", {"Location": "its status URL"}
)
TO_STATUS = {
    "status": {
        "operationId": "getOrderStatus",
        "parameters": {"order_id": "$response.body#/orderId"},
        "description": "the status of the order just accepted",
    }
}
STATUS_SORTS = {"recent": lambda s: (paging.latest_first(s["lastUpdated"]), s["orderId"])}


class OrdersQuery(ListQuery):
    sort: Literal["recent"] = "recent"
    user: str | None = Field(None, min_length=1, description="only this user's orders")
    status: OrderState | None = Field(None, description="only orders in this status")


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
    @operation("List orders", tag="orders", ok=(200, Page[OrderShown]), errors=(503,),
               query=OrdersQuery)  # fmt: skip
    async def get(self, request: web.Request, query: OrdersQuery) -> web.Response:
        """Newest first, from every worker's partitions (a 503 rather than a partial list)."""
        filters = {k: v for k in ("user", "status") if (v := getattr(query, k)) is not None}
        items = await gather("orders", filters, key="orderId")
        if isinstance(items, web.Response):
            return items
        return paged(items, STATUS_SORTS[query.sort], query)

    @operation("Place an order", tag="orders", ok=(202, ACCEPTED), errors=(429, 503),
               body=OrderRequest, headers=IDEMPOTENCY_KEY, links=TO_STATUS,
               sends=(PlaceOrder,))  # fmt: skip
    async def post(self, request: web.Request) -> web.Response:
        """Validated here; the business rules (user, stock, prices) run in the order handler,
        and the outcome shows in the order's status."""
        body = await read_body(request, OrderRequest)
        key = idempotency_key(request)
        order_id = order_id_for(body.userId, key)
        skus = (i.sku for i in body.items)
        if (busy := refused(body.userId, order_id, skus, keyed=bool(key))) is not None:
            return busy
        command = PlaceOrder(
            orderId=order_id, userId=body.userId, currency=body.currency,
            items=[LineItem(sku=i.sku, quantity=i.quantity) for i in body.items],
        )  # fmt: skip
        env = await publish(command, event_id=derive_event_id(order_id, "place") if key else None)
        return accepted(order_id, str(env.eventId))


def accepted(order_id: str, event_id: str) -> web.Response:
    answer = OrderAccepted(orderId=order_id, eventId=event_id).model_dump()
    return json(answer, status=202, headers={"Location": f"/orders/{order_id}/status"})


class StatusQuery(Query):
    wait: float = Field(
        0, ge=0, allow_inf_nan=False,
        description="seconds to wait for a change (capped at ORDERS_LONGPOLL_MAX); 0: answer now",
    )  # fmt: skip
    until: Literal["terminal"] | None = Field(
        None, description="with wait: answer at the outcome, not at the next step"
    )


@app.page("/orders/{order_id}/status")
class OrderStatusView(faust.web.View):
    @operation("An order's status", tag="orders", ok=(200, OrderShown), errors=(404, 503),
               query=StatusQuery)  # fmt: skip
    async def get(self, request: web.Request, order_id: str, query: StatusQuery) -> web.Response:
        """The status, details and history of one order, from its owner; 404 while no event of
        it was seen. With ``wait``, a long-poll: answers when the status moves."""
        wait = min(query.wait, settings.longpoll_max)
        if not wait:
            return await read_one(request, order_statuses, order_id, OrderStatus.public, "order")
        return await route(
            request,
            order_statuses.table,
            order_id,
            lambda: _long_poll(order_id, wait, query.until == "terminal"),
        )


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
