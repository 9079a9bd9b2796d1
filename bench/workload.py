"""The anchor workload: JSON orders keyed by userId, and the one stateful step every engine runs.

Every engine (raw aiokafka, Quix Streams, Faust) runs exactly this: parse the order, add it to the
user's running totals (kept in the engine's state), produce the new totals keyed by userId.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from typing import Any

import orjson

SKUS = ("sku-keyboard", "sku-mouse", "sku-monitor", "sku-cable", "sku-dock", "sku-chair")


def orders(count: int, users: int = 1000, seed: int = 7) -> Iterator[tuple[bytes, bytes]]:
    """``count`` (key, value) pairs: ~400-byte JSON orders keyed by userId."""
    rng = random.Random(seed)
    for i in range(count):
        user = f"user-{rng.randrange(users)}"
        lines = [
            (rng.choice(SKUS), rng.randint(1, 3), round(rng.uniform(5, 300), 2))
            for _ in range(rng.randint(1, 3))
        ]
        items = [{"sku": s, "quantity": q, "unitPrice": p} for s, q, p in lines]
        order = {
            "eventId": str(uuid.UUID(int=rng.getrandbits(128))),
            "eventType": "OrderCreated",
            "timestamp": "2026-11-24T12:00:00.000000Z",
            "version": "1.0",
            "data": {
                "orderId": str(uuid.UUID(int=rng.getrandbits(128))),
                "userId": user,
                "items": items,
                "amount": round(sum(q * p for _, q, p in lines), 2),
                "currency": "EUR",
                "seq": i,
            },
        }
        yield user.encode(), orjson.dumps(order)


def expected(count: int, job: str) -> dict[bytes, tuple[int, Any]]:
    """What a correct job writes per key: how many records, and the last one (stateful: the
    user's final totals; forward: the user's last order)."""
    out: dict[bytes, tuple[int, Any]] = {}
    for key, value in orders(count):
        seen, last = out.get(key, (0, None))
        out[key] = (
            seen + 1,
            add(last, orjson.loads(value)) if job == "stateful" else orjson.loads(value),
        )
    return out


def add(totals: dict[str, Any] | None, order: dict[str, Any]) -> dict[str, Any]:
    """The user's totals after one more order."""
    data = order["data"]
    before = totals or {"userId": data["userId"], "orders": 0, "revenue": 0.0}
    return {
        "userId": data["userId"],
        "orders": before["orders"] + 1,
        "revenue": round(before["revenue"] + data["amount"], 2),
        "lastOrderId": data["orderId"],
    }
