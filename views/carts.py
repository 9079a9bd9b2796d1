"""Carts over HTTP: add, remove, read, and check out (on the cart's owner, which sees the cart)."""

from __future__ import annotations

import faust
from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from app.application import app
from domain import carts as cart_rules
from domain.envelope import derive_event_id
from domain.messages import CartItemAdded, CartItemRemoved, PlaceOrder
from domain.types import Currency, Id, Sku
from tables.carts import carts
from tables.orders import order_decisions
from views.http.admission import refused
from views.http.bodies import Written, json, make, publish, read_body, written
from views.http.contract import operation
from views.http.errors import problem
from views.http.routing import not_on_broker, route
from views.orders import (
    ACCEPTED,
    IDEMPOTENCY_KEY,
    TO_STATUS,
    RequestedItem,
    accepted,
    idempotency_key,
    order_id_for,
)


class Checkout(BaseModel):
    """The optional body of a checkout."""

    model_config = ConfigDict(extra="forbid")
    currency: Currency = Field("EUR", description="ISO 4217 code of the order's currency")


@app.page("/carts/{user_id}")
class CartView(faust.web.View):
    @operation("A user's cart", tag="carts", ok=(200, cart_rules.CartShown), errors=(503,))
    async def get(self, request: web.Request, user_id: str) -> web.Response:
        async def local() -> web.Response:
            cart = carts.get(user_id)
            if (not_yet := await not_on_broker(carts.table, user_id)) is not None:
                return not_yet
            return json((cart or cart_rules.Cart(userId=user_id)).public())

        return await route(request, carts.table, user_id, local)


@app.page("/carts/{user_id}/items")
class CartItemsView(faust.web.View):
    @operation("Add to a cart", tag="carts", ok=(202, Written), errors=(503,), body=RequestedItem,
               path={"user_id": Id}, sends=(CartItemAdded,))  # fmt: skip
    async def post(self, request: web.Request, user_id: str) -> web.Response:
        line = await read_body(request, RequestedItem)
        env = await publish(make(CartItemAdded, userId=user_id, **line.model_dump()))
        return written(user_id, env.eventId)


@app.page("/carts/{user_id}/items/{sku}")
class CartItemView(faust.web.View):
    @operation("Remove a sku from a cart", tag="carts", ok=(202, Written), errors=(422, 503),
               path={"user_id": Id, "sku": Sku}, sends=(CartItemRemoved,))  # fmt: skip
    async def delete(self, request: web.Request, user_id: str, sku: str) -> web.Response:
        """422 when the user id or sku is not a valid one."""
        env = await publish(make(CartItemRemoved, userId=user_id, sku=sku))
        return written(user_id, env.eventId)


@app.page("/carts/{user_id}/checkout")
class CheckoutView(faust.web.View):
    @operation("Check a cart out", tag="carts", ok=(202, ACCEPTED), errors=(409, 429, 503),
               body=Checkout, body_required=False, headers=IDEMPOTENCY_KEY,
               links=TO_STATUS, sends=(PlaceOrder,))  # fmt: skip
    async def post(self, request: web.Request, user_id: str) -> web.Response:
        """Places an order from the cart as the cart's owner sees it; the cart is cleared once
        the order is created. An ``Idempotency-Key`` makes a retried checkout place one order;
        409 when the cart is empty."""

        async def local() -> web.Response:
            body = await read_body(request, Checkout) if await request.read() else Checkout()
            key = idempotency_key(request)
            order_id = order_id_for(user_id, key)
            # a retry of a done checkout: no status in the answer, the command replays the same id
            if key and order_decisions.get(order_id) is not None:
                return accepted(order_id, str(derive_event_id(order_id, "place")))
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
            return accepted(order_id, str(env.eventId))

        return await route(request, carts.table, user_id, local)
