"""What a client of the shop does over HTTP: register, restock, order, wait for the outcome."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from tests.support.system import Worker, eventually

TERMINAL = {"CONFIRMED", "CANCELLED", "REJECTED"}


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def register(worker: Worker, tier: str = "standard") -> str:
    user_id = unique("u")
    body = {
        "userId": user_id,
        "name": "Ada Lovelace",
        "email": f"{user_id}@example.com",
        "tier": tier,
    }
    resp = worker.post("/users", json=body)
    assert resp.status_code == 201, resp.text
    eventually(lambda: worker.get(f"/users/{user_id}").status_code == 200)
    return user_id


def restock(worker: Worker, quantity: int, price: float, sku: str | None = None) -> str:
    sku = sku or unique("sku")
    body = {"quantity": quantity, "name": f"Item {sku}", "unitPrice": price}
    resp = worker.post(f"/inventory/{sku}/restock", json=body)
    assert resp.status_code == 202, resp.text
    eventually(lambda: worker.get(f"/inventory/{sku}").json().get("available", -1) >= quantity)
    return sku


def place(worker: Worker, user_id: str, items: list[tuple[str, int]], currency: str = "EUR",
          key: str | None = None) -> httpx.Response:  # fmt: skip
    body = {
        "userId": user_id,
        "items": [{"sku": s, "quantity": q} for s, q in items],
        "currency": currency,
    }
    headers = {"Idempotency-Key": key} if key else {}
    return worker.post("/orders", json=body, headers=headers)


def outcome(worker: Worker, order_id: str, timeout: float = 60) -> dict[str, Any]:
    """The order's status once it is terminal."""

    def terminal() -> dict[str, Any] | None:
        resp = worker.get(f"/orders/{order_id}/status")
        return (
            resp.json() if resp.status_code == 200 and resp.json()["status"] in TERMINAL else None
        )

    return eventually(terminal, timeout)


def stock(worker: Worker, sku: str) -> dict[str, Any]:
    return worker.get(f"/inventory/{sku}").json()


def new_order(worker: Worker) -> str:
    """A new customer places one order of one unit of a newly stocked sku; its orderId."""
    user, sku = register(worker), restock(worker, 10, 10.0)
    return str(place(worker, user, [(sku, 1)]).json()["orderId"])
