"""Carts over HTTP: add, remove, read, and check out (on the cart's owner, which sees the cart)."""

from __future__ import annotations

import faust
from aiohttp import web
from pydantic import BaseModel, ConfigDict

from app.application import app
from domain import carts as cart_rules
from domain.envelope import derive_event_id
from domain.messages import CartItemAdded, CartItemRemoved
from domain.types import Currency
from tables.carts import carts
from tables.orders import order_decisions
from views.http.admission import refused
from views.http.bodies import json, make, publish, read_body
from views.http.errors import problem
from views.http.routing import not_on_broker, route
from views.orders import RequestedItem, order_id_for


class Checkout(BaseModel):
    model_config = ConfigDict(extra="forbid")
    currency: Currency = "EUR"


@app.page("/carts/{user_id}")
class CartView(faust.web.View):
    async def get(self, request: web.Request, user_id: str) -> web.Response:
        async def local() -> web.Response:
            cart = carts.get(user_id)
            if (not_yet := await not_on_broker(carts.table, user_id)) is not None:
                return not_yet
            return json((cart or cart_rules.Cart(userId=user_id)).public())

        return await route(request, carts.table, user_id, local)


@app.page("/carts/{user_id}/items")
class CartItemsView(faust.web.View):
    async def post(self, request: web.Request, user_id: str) -> web.Response:
        line = await read_body(request, RequestedItem)
        env = await publish(make(CartItemAdded, userId=user_id, **line.model_dump()))
        return json({"userId": user_id, "eventId": str(env.eventId)}, status=202)


@app.page("/carts/{user_id}/items/{sku}")
class CartItemView(faust.web.View):
    async def delete(self, request: web.Request, user_id: str, sku: str) -> web.Response:
        env = await publish(make(CartItemRemoved, userId=user_id, sku=sku))
        return json({"userId": user_id, "eventId": str(env.eventId)}, status=202)


@app.page("/carts/{user_id}/checkout")
class CheckoutView(faust.web.View):
    """Places an order from the cart as the cart's owner sees it; the cart is cleared once the
    order is created. An ``Idempotency-Key`` makes a retried checkout place one order."""

    async def post(self, request: web.Request, user_id: str) -> web.Response:
        async def local() -> web.Response:
            body = await read_body(request, Checkout) if await request.read() else Checkout()
            key = request.headers.get("Idempotency-Key")
            order_id = order_id_for(user_id, key)
            # a retry of a done checkout: no status in the answer, the command replays the same id
            if key and order_decisions.get(order_id) is not None:
                return _accepted(order_id, str(derive_event_id(order_id, "place")))
            cart = carts.get(user_id)
            if (not_yet := await not_on_broker(carts.table, user_id)) is not None:
                return not_yet
            command = cart_rules.checkout(cart, order_id=order_id, currency=body.currency)
            if command is None:
                return problem(409, "empty_cart", f"the cart of {user_id!r} is empty")
            skus = (i.sku for i in command.items)
            if (busy := refused(user_id, order_id, skus, keyed=bool(key))) is not None:
                return busy
            env = await publish(
                command, event_id=derive_event_id(order_id, "place") if key else None
            )
            return _accepted(order_id, str(env.eventId))

        return await route(request, carts.table, user_id, local)


def _accepted(order_id: str, event_id: str | None) -> web.Response:
    answer = {"orderId": order_id, "eventId": event_id, "status": "PENDING"}
    return json(answer, status=202, headers={"Location": f"/orders/{order_id}/status"})
