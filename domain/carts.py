"""Shopping carts: ``evolve(cart, event) -> cart``; a checkout turns a cart into a PlaceOrder."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from domain.messages import CartCleared, CartItemAdded, CartItemRemoved, LineItem, PlaceOrder

MAX_QUANTITY = 10_000


class Cart(BaseModel):
    model_config = ConfigDict(frozen=True)

    userId: str
    items: dict[str, int] = Field(default_factory=dict)  # sku -> quantity, insertion ordered

    def public(self) -> dict[str, object]:
        return {
            "userId": self.userId,
            "items": [{"sku": s, "quantity": q} for s, q in self.items.items()],
        }


def evolve(cart: Cart | None, event: CartItemAdded | CartItemRemoved | CartCleared) -> Cart:
    current = cart or Cart(userId=event.userId)
    items = dict(current.items)
    if isinstance(event, CartItemAdded):
        items[event.sku] = min(items.get(event.sku, 0) + event.quantity, MAX_QUANTITY)
    elif isinstance(event, CartItemRemoved):
        items.pop(event.sku, None)
    else:
        items = {}
    return current.model_copy(update={"items": items})


def checkout(cart: Cart | None, *, order_id: str, currency: str) -> PlaceOrder | None:
    """The PlaceOrder a checkout sends, or None for an empty cart."""
    if cart is None or not cart.items:
        return None
    items = [LineItem(sku=sku, quantity=qty) for sku, qty in cart.items.items()]
    return PlaceOrder(
        orderId=order_id, userId=cart.userId, items=items, currency=currency, fromCart=True
    )
