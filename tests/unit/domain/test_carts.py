"""Carts: each event applied once; a checkout's lines leave, what was added meanwhile stays."""

from __future__ import annotations

from domain import carts
from domain.messages import (
    CartCleared,
    CartItemAdded,
    CartItemRemoved,
    LineItem,
)
from tests.support.events import event


def test_cart_evolves_once_per_event_and_checks_out() -> None:
    cart = carts.evolve(None, event(CartItemAdded(userId="u-1", sku="kb", quantity=1), "e1"))
    cart = carts.evolve(cart, event(CartItemAdded(userId="u-1", sku="kb", quantity=2), "e2"))
    cart = carts.evolve(
        cart, event(CartItemAdded(userId="u-1", sku="kb", quantity=2), "e2")
    )  # again
    cart = carts.evolve(cart, event(CartItemAdded(userId="u-1", sku="chair", quantity=1), "e3"))
    cart = carts.evolve(cart, event(CartItemRemoved(userId="u-1", sku="chair"), "e4"))
    assert cart.public() == {"userId": "u-1", "items": [{"sku": "kb", "quantity": 3}]}
    placed = carts.checkout(cart, order_id="o-7", currency="EUR")
    assert (
        placed is not None and placed.fromCart and placed.items == [LineItem(sku="kb", quantity=3)]
    )
    # an item added after the checkout stays when the checkout's lines leave
    cart = carts.evolve(cart, event(CartItemAdded(userId="u-1", sku="mouse", quantity=1), "e5"))
    cart = carts.evolve(
        cart, event(CartCleared(userId="u-1", orderId="o-7", items=placed.items), "e6")
    )
    assert cart.public()["items"] == [{"sku": "mouse", "quantity": 1}]
    assert carts.evolve(cart, event(CartCleared(userId="u-1"), "e7")).items == {}
    assert (
        carts.checkout(
            carts.evolve(cart, event(CartCleared(userId="u-1"), "e8")),
            order_id="o-8",
            currency="EUR",
        )
        is None
    )
