"""A repeatable shop for the simulator: customers, a catalog with stock, and orders whose outcomes
mix authorized, declined (above the tier limit), out of stock, gateway down (XTS) and checkouts."""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

from domain.messages import (
    CartItemAdded,
    LineItem,
    Message,
    PlaceOrder,
    RestockItem,
    UserRegistered,
)
from domain.payments import OUTAGE_CURRENCY
from domain.simulation import CATALOG, NAMES

SCARCE = ("sku-limited", "Limited edition print", Decimal("59.00"))
SCARCE_STOCK = 20
STOCK = 100_000
# share of each outcome the simulator aims at (the rest are plain orders that should confirm)
MIX = (("declined", 0.10), ("out_of_stock", 0.10), ("gateway_down", 0.05), ("checkout", 0.10))


@dataclass(frozen=True, slots=True)
class Step:
    message: Message
    intent: str  # what the simulator meant: confirmed, declined, out_of_stock, gateway_down …


def user_id(seed: int, n: int) -> str:
    return f"user-{seed}-{n}"


def setup(seed: int, users: int) -> list[Message]:
    """Customers (every fifth one gold) and the catalog with its stock."""
    customers: list[Message] = [
        UserRegistered(userId=user_id(seed, n), name=f"{NAMES[n % len(NAMES)]} {n}",
                       email=f"{NAMES[n % len(NAMES)].lower()}.{seed}.{n}@example.com",
                       tier="gold" if n % 5 == 0 else "standard")
        for n in range(users)
    ]  # fmt: skip
    stock: list[Message] = [
        RestockItem(sku=s, quantity=STOCK, name=n, unitPrice=p) for s, n, p in CATALOG
    ]
    stock.append(
        RestockItem(sku=SCARCE[0], quantity=SCARCE_STOCK, name=SCARCE[1], unitPrice=SCARCE[2])
    )
    return customers + stock


def _intent(rng: random.Random) -> str:
    roll, edge = rng.random(), 0.0
    for name, share in MIX:
        edge += share
        if roll < edge:
            return name
    return "confirmed"


def _lines(rng: random.Random, intent: str) -> list[LineItem]:
    if intent == "declined":  # 4 office chairs: 1,316.00, above the standard limit of 1,000.00
        return [LineItem(sku="sku-chair", quantity=4)]
    cheap = [s for s, _, price in CATALOG if price < 100]
    lines = [
        LineItem(sku=s, quantity=rng.randint(1, 2)) for s in rng.sample(cheap, k=rng.randint(1, 2))
    ]
    if intent == "out_of_stock":
        lines.append(LineItem(sku=SCARCE[0], quantity=rng.randint(3, 6)))
    return lines


def orders(count: int, *, seed: int, users: int) -> Iterator[Step]:
    """``count`` orders (and the cart events before a checkout); the same seed, the same run."""
    rng = random.Random(seed)
    for _ in range(count):
        intent = _intent(rng)
        # declined orders go to standard customers (gold ones may spend 5,000.00)
        n = rng.randrange(users)
        if intent == "declined" and n % 5 == 0:
            n = (n + 1) % users
        lines = _lines(rng, intent)
        order_id = str(uuid.UUID(int=rng.getrandbits(128)))
        currency = OUTAGE_CURRENCY if intent == "gateway_down" else "EUR"
        if intent == "checkout":
            for line in lines:
                yield Step(
                    CartItemAdded(userId=user_id(seed, n), sku=line.sku, quantity=line.quantity),
                    intent,
                )
        place = PlaceOrder(orderId=order_id, userId=user_id(seed, n), items=lines,
                           currency=currency, fromCart=intent == "checkout")  # fmt: skip
        yield Step(place, intent)
