"""Pure rules of the slices: order acceptance, stock, payments, users, carts."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from domain import carts, inventory, payments, users
from domain.messages import (
    AuthorizePayment,
    CartCleared,
    CartItemAdded,
    CartItemRemoved,
    CatalogItem,
    CommitStock,
    LineItem,
    OrderCreated,
    OrderRejected,
    PlaceOrder,
    ReleaseStock,
    ReserveStock,
    RestockItem,
    StockReserved,
    StockUnavailable,
    UserRegistered,
    UserUpdated,
)
from domain.orders import place_order
from tests.support.events import event

NOW = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
CATALOG = {
    "kb": CatalogItem(sku="kb", name="Keyboard", unitPrice=Decimal("89.90")),
    "chair": CatalogItem(sku="chair", name="Chair", unitPrice=Decimal("329.00")),
}
ADA = users.UserProfile(userId="u-1", name="Ada", email="ada@example.com", tier="gold")


def order(*lines: tuple[str, int], currency: str = "EUR", user: str = "u-1") -> PlaceOrder:
    return PlaceOrder(
        orderId="o-1",
        userId=user,
        currency=currency,
        items=[LineItem(sku=s, quantity=q) for s, q in lines],
    )


def test_valid_order_is_created_priced_with_the_customer_snapshot() -> None:
    result = place_order(order(("kb", 2), ("chair", 1)), ADA, CATALOG, NOW)
    assert isinstance(result, OrderCreated)
    assert result.amount == Decimal("508.80")
    assert [(i.sku, i.name, i.unitPrice) for i in result.items] == [
        ("kb", "Keyboard", Decimal("89.90")),
        ("chair", "Chair", Decimal("329.00")),
    ]
    assert result.customer.tier == "gold" and result.createdAt == NOW


@pytest.mark.parametrize(
    ("command", "customer", "reasons"),
    [
        (order(("kb", 1), user="u-9"), None, ["unknown customer u-9"]),
        (
            order(("kb", 1)),
            ADA.model_copy(update={"active": False}),
            ["customer u-1 is not active"],
        ),
        (order(), ADA, ["no items"]),
        (order(("kb", 0)), ADA, ["quantity of kb must be 1..100, got 0"]),
        (order(("kb", -3)), ADA, ["quantity of kb must be 1..100, got -3"]),
        (order(("nope", 1)), ADA, ["unknown sku nope"]),
        (order(("kb", 1), ("kb", 2)), ADA, ["sku kb appears twice"]),
        (order(("kb", 1), currency="DOGE"), ADA, ["unknown currency 'DOGE'"]),
        (order(("chair", 100)), ADA, []),  # 32,900.00 is above the order limit
        (
            order(("nope", 0), currency="X", user="u-2"),
            None,
            [
                "unknown customer u-2",
                "quantity of nope must be 1..100, got 0",
                "unknown sku nope",
                "unknown currency 'X'",
            ],
        ),
    ],
)
def test_rejections_list_every_reason(
    command: PlaceOrder, customer: users.UserProfile | None, reasons: list[str]
) -> None:
    result = place_order(command, customer, CATALOG, NOW)
    assert isinstance(result, OrderRejected)
    if reasons:
        assert result.reasons == reasons
    else:
        assert result.reasons[0].startswith("amount 32900.00 exceeds the order limit")


def stock(available: int = 10) -> inventory.StockLevel:
    level, _ = inventory.restock(
        None,
        RestockItem(sku="kb", quantity=available, name="Keyboard", unitPrice="89.90"),
        "r-1",
        at=0,
    )
    return level


def reserve_cmd(order_id: str = "o-1", qty: int = 3) -> ReserveStock:
    return ReserveStock(orderId=order_id, userId="u-1", sku="kb", quantity=qty)


def release_cmd(order_id: str = "o-1") -> ReleaseStock:
    return ReleaseStock(orderId=order_id, userId="u-1", sku="kb", quantity=3)


def test_reserve_release_commit_keep_the_books() -> None:
    level, answer = inventory.reserve(stock(10), reserve_cmd("o-1", 3), at=1)
    assert isinstance(answer, StockReserved) and (level.available, level.reserved) == (7, 3)
    level, answer = inventory.reserve(level, reserve_cmd("o-2", 4), at=2)
    level = inventory.release(level, release_cmd("o-1"), at=3)
    cmd = CommitStock(orderId="o-2", userId="u-1", sku="kb", quantity=4)
    level = inventory.commit(level, cmd, at=4)
    assert (level.available, level.reserved, level.sold) == (6, 0, 4)
    assert 10 - level.available - level.reserved == level.sold
    assert level.reservations == {} and level.position == 4


def test_redelivered_commands_change_nothing() -> None:
    level, _ = inventory.reserve(stock(10), reserve_cmd(), at=1)
    again, answer = inventory.reserve(level, reserve_cmd(), at=1)
    assert again == level and isinstance(answer, StockReserved) and answer.quantity == 3
    released = inventory.release(level, release_cmd(), at=2)
    assert inventory.release(released, release_cmd(), at=2) == released
    assert released.available == 10
    # a duplicate release at a new offset finds no hold: nothing to give back twice
    assert inventory.release(released, release_cmd(), at=3) == released


def test_a_settled_order_gets_nothing_from_a_late_duplicate() -> None:
    level, _ = inventory.reserve(stock(10), reserve_cmd(), at=1)
    released = inventory.release(level, release_cmd(), at=2)
    for ending in ("released", "committed"):
        assert inventory.reserve(released, reserve_cmd(), at=9, ledger=ending) == (released, None)
    # without the ledger the duplicate would hold stock again: the ledger is what stops it
    held, answer = inventory.reserve(released, reserve_cmd(), at=9)
    assert isinstance(answer, StockReserved) and held.reserved == 3


def test_a_refused_order_is_refused_again_even_after_stock_is_freed() -> None:
    """A duplicate ReserveStock (the saga re-sending its last step) at a new offset, after stock
    was freed: its answer's id is the refusal's, so downstream would drop a StockReserved as a
    repeat and the stock would stay held for good. The ledger's ``unavailable`` prevents it."""
    level, answer = inventory.reserve(stock(2), reserve_cmd("o-9", 3), at=1)
    assert isinstance(answer, StockUnavailable)
    restocked, _ = inventory.restock(
        level, RestockItem(sku="kb", quantity=5, name="Keyboard", unitPrice="89.90"), "r-2", at=2
    )
    again, answer = inventory.reserve(restocked, reserve_cmd("o-9", 3), at=3, ledger="unavailable")
    assert isinstance(answer, StockUnavailable) and again == restocked


def test_a_redelivered_reserve_that_found_no_stock_is_answered_the_same() -> None:
    level, answer = inventory.reserve(stock(2), reserve_cmd(qty=3), at=1)
    assert isinstance(answer, StockUnavailable) and level.position == 0  # nothing written
    restocked, _ = inventory.restock(
        level, RestockItem(sku="kb", quantity=5, name="Keyboard", unitPrice="89.90"), "r-2", at=2
    )
    again, answer = inventory.reserve(restocked, reserve_cmd(qty=3), at=1)  # redelivered
    assert isinstance(answer, StockUnavailable) and again == restocked


def test_unavailable_and_unknown_skus() -> None:
    level, answer = inventory.reserve(stock(2), reserve_cmd(qty=3), at=1)
    assert isinstance(answer, StockUnavailable) and answer.available == 2 and level.available == 2
    none, answer = inventory.reserve(None, reserve_cmd(), at=1)
    assert none is None and isinstance(answer, StockUnavailable) and answer.available == 0


def test_restock_is_idempotent_per_event_and_reports_catalog_changes() -> None:
    cmd = RestockItem(sku="kb", quantity=5, name="Keyboard", unitPrice="89.90")
    level, entry = inventory.restock(None, cmd, "r-1", at=0)
    assert entry == CatalogItem(sku="kb", name="Keyboard", unitPrice=Decimal("89.90"))
    same, entry = inventory.restock(level, cmd, "r-1", at=1)
    assert same == level and entry is None
    replayed, entry = inventory.restock(level, cmd, "r-9", at=0)
    assert replayed == level and entry is None
    more, entry = inventory.restock(level, cmd, "r-2", at=2)
    assert more.available == 10 and entry is None
    _, entry = inventory.restock(
        more, cmd.model_copy(update={"unitPrice": Decimal("79.90")}), "r-3", at=3
    )
    assert entry is not None and entry.unitPrice == Decimal("79.90")


def pay(amount: str, tier: str = "standard", order_id: str = "o-1") -> AuthorizePayment:
    return AuthorizePayment(
        orderId=order_id, userId="u-1", amount=amount, currency="EUR", tier=tier
    )


@pytest.mark.parametrize(
    ("cmd", "outcome"),
    [
        (pay("999.99"), payments.Approved),
        (pay("1000.00"), payments.Approved),
        (pay("1000.01"), payments.Declined),
        (pay("4999.00", "gold"), payments.Approved),
        (pay("5000.01", "gold"), payments.Declined),
    ],
)
def test_tier_limits(cmd: AuthorizePayment, outcome: type) -> None:
    assert isinstance(payments.authorize(cmd, seed=1, decline_rate=0.0), outcome)


def test_tier_decline_names_the_limit_and_random_declines_are_seeded() -> None:
    declined = payments.authorize(pay("1500"), seed=1, decline_rate=0.0)
    assert (
        isinstance(declined, payments.Declined) and "standard tier limit 1000.00" in declined.reason
    )
    runs = [
        [
            type(payments.authorize(pay("10", order_id=f"o-{i}"), seed=7, decline_rate=0.3))
            for i in range(200)
        ]
        for _ in range(2)
    ]
    assert runs[0] == runs[1]
    assert 30 < runs[0].count(payments.Declined) < 90
    first = payments.authorize(pay("10"), seed=7, decline_rate=0.0)
    assert isinstance(first, payments.Approved) and first == payments.authorize(
        pay("10"), seed=7, decline_rate=0.0
    )


def test_user_profile_evolves() -> None:
    profile = users.evolve(
        None, event(UserRegistered(userId="u-1", name="Ada", email="ada@example.com"))
    )
    assert profile is not None and profile.tier == "standard" and profile.active
    profile = users.evolve(profile, event(UserUpdated(userId="u-1", tier="gold", active=False)))
    assert profile is not None and (profile.tier, profile.active, profile.name) == (
        "gold",
        False,
        "Ada",
    )
    assert users.evolve(None, event(UserUpdated(userId="u-2", tier="gold"))) is None


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
