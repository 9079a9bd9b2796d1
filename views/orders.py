"""Orders over HTTP: POST /orders (202, idempotent with a key), GET /orders/{id}/status."""

from __future__ import annotations

import uuid

import faust
from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from app.faust_app import app
from app.web_errors import problem
from domain.envelope import derive_event_id
from domain.messages import LineItem, PlaceOrder
from domain.ordering import MAX_LINES, MAX_QUANTITY
from domain.orders import OrderStatus
from domain.types import Currency, Id, Sku
from tables.orders import order_statuses
from views.http import json, publish, read_body
from views.routing import read_one

_IDEMPOTENCY = uuid.UUID("5b0f3f8e-3a4c-4c1e-8f7e-0c9d7a2b6e41")


class RequestedItem(BaseModel):
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


@app.page("/orders")
class OrdersView(faust.web.View):
    async def post(self, request: web.Request) -> web.Response:
        body = await read_body(request, OrderRequest)
        key = request.headers.get("Idempotency-Key")
        if key is not None and not 0 < len(key) <= 200:
            return problem(
                400, "invalid_idempotency_key", "Idempotency-Key must be 1..200 characters"
            )
        order_id = order_id_for(body.userId, key)
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
        return await read_one(request, order_statuses, order_id, OrderStatus.public, "order")
