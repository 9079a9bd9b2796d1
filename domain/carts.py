"""Shopping carts: ``evolve(cart, event) -> cart``; a checkout turns a cart into a PlaceOrder."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from domain.envelope import Parsed
from domain.messages import CartCleared, CartItemAdded, CartItemRemoved, LineItem, PlaceOrder

MAX_QUANTITY = 10_000
REMEMBERED = 200  # event ids a cart keeps to ignore their redelivery


class CartLine(BaseModel):
    sku: str
    quantity: int


class CartShown(BaseModel):
    """What ``GET /carts/{userId}`` answers: the lines in the order they were added."""

    userId: str
    items: list[CartLine]


class Cart(BaseModel):
    model_config = ConfigDict(frozen=True)

    userId: str
    items: dict[str, int] = Field(default_factory=dict)  # sku -> quantity, insertion ordered
    applied: list[str] = Field(default_factory=list)

    def public(self) -> dict[str, object]:
        lines = [CartLine(sku=s, quantity=q) for s, q in self.items.items()]
        return CartShown(userId=self.userId, items=lines).model_dump()


def evolve(cart: Cart | None, event: Parsed) -> Cart:
    """Apply one cart event once; a checkout's CartCleared removes only what was checked out, so
    an item added meanwhile stays."""
    body, event_id = event.body, str(event.envelope.eventId)
    assert isinstance(body, CartItemAdded | CartItemRemoved | CartCleared)
    current = cart or Cart(userId=body.userId)
    if event_id in current.applied:
        return current
    items = dict(current.items)
    if isinstance(body, CartItemAdded):
        items[body.sku] = min(items.get(body.sku, 0) + body.quantity, MAX_QUANTITY)
    elif isinstance(body, CartItemRemoved):
        items.pop(body.sku, None)
    elif body.items is None:
        items = {}
    else:
        for line in body.items:
            left = items.get(line.sku, 0) - line.quantity
            if left > 0:
                items[line.sku] = left
            else:
                items.pop(line.sku, None)
    return current.model_copy(
        update={"items": items, "applied": [*current.applied, event_id][-REMEMBERED:]}
    )


def checkout(cart: Cart | None, *, order_id: str, currency: str) -> PlaceOrder | None:
    """The PlaceOrder a checkout sends, or None for an empty cart."""
    if cart is None or not cart.items:
        return None
    items = [LineItem(sku=sku, quantity=qty) for sku, qty in cart.items.items()]
    return PlaceOrder(
        orderId=order_id, userId=cart.userId, items=items, currency=currency, fromCart=True
    )
