"""Deterministic sample traffic: enriched orders (event-carried state) and corrupt records."""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

from domain import envelope
from domain.messages import Customer, OrderCreated, PricedItem
from domain.types import now_utc

CATALOG: tuple[tuple[str, str, Decimal], ...] = (
    ("sku-keyboard", "Mechanical keyboard", Decimal("89.90")),
    ("sku-mouse", "Wireless mouse", Decimal("24.50")),
    ("sku-monitor", "27-inch monitor", Decimal("279.00")),
    ("sku-cable", "USB-C cable", Decimal("9.99")),
    ("sku-dock", "Laptop dock", Decimal("149.00")),
    ("sku-chair", "Office chair", Decimal("329.00")),
)
NAMES = ("Ada", "Grace", "Linus", "Barbara", "Ken", "Margaret", "Dennis", "Frances")


@dataclass(frozen=True, slots=True)
class SimRecord:
    key: str
    value: bytes
    corrupt: bool


def _order(rng: random.Random, users: int) -> OrderCreated:
    n = rng.randrange(users)
    picks = rng.sample(CATALOG, k=rng.randint(1, 3))
    items = [
        PricedItem(sku=s, name=name, quantity=rng.randint(1, 3), unitPrice=p)
        for s, name, p in picks
    ]
    first = NAMES[n % len(NAMES)]
    return OrderCreated(
        orderId=str(uuid.UUID(int=rng.getrandbits(128))),
        userId=f"user-{n}",
        customer=Customer(
            name=f"{first} {n}",
            email=f"{first.lower()}{n}@example.com",
            tier="gold" if n % 5 == 0 else "standard",
        ),
        items=items,
        amount=sum((i.unitPrice * i.quantity for i in items), Decimal("0")),
        currency="EUR",
        createdAt=now_utc(),
    )


def _corrupt(rng: random.Random, good: bytes) -> bytes:
    """Bad JSON, a wrong type, or a missing field: one of the three, at random."""
    kind = rng.randrange(3)
    if kind == 0:
        return good[: rng.randint(1, len(good) - 1)]  # truncated JSON
    if kind == 1:
        return good.replace(b'"quantity":', b'"quantity":"many","q":', 1)
    return good.replace(b'"eventType":', b'"eventTypo":', 1)


def orders(
    count: int, *, seed: int, corrupt_ratio: float = 0.0, users: int = 50
) -> Iterator[SimRecord]:
    """``count`` valid OrderCreated events plus ``round(count * corrupt_ratio)`` corrupt records,
    spread evenly among them; the same seed gives the same orders."""
    rng = random.Random(seed)
    corrupt_total = round(count * corrupt_ratio)
    every = count // corrupt_total if corrupt_total else 0
    made = 0
    for i in range(count):
        body = _order(rng, users)
        env = envelope.build(
            body, correlation_id=body.orderId, event_id=uuid.UUID(int=rng.getrandbits(128))
        )
        value = envelope.dumps(env)
        yield SimRecord(body.orderId, value, corrupt=False)
        if made < corrupt_total and (i + 1) % every == 0:
            made += 1
            yield SimRecord(f"corrupt-{seed}-{made}", _corrupt(rng, value), corrupt=True)
