"""The read side on one worker: long-poll, lists with filters and cursors, revenue windows."""

from __future__ import annotations

import asyncio
import time

import httpx
import orjson

from tests.support.kafka import read_topic, topic_names
from tests.support.shop import new_order, outcome, place, register, restock
from tests.support.system import System, Worker, eventually


def test_long_poll_answers_as_soon_as_the_order_appears_or_moves(
    shop: tuple[System, Worker],
) -> None:
    _, w = shop
    # read-your-writes: right after the POST, ?wait= answers with the order (not a 404)
    order_id = new_order(w)
    started = time.monotonic()
    first = w.get(f"/orders/{order_id}/status", params={"wait": 10})
    assert first.status_code == 200, first.text
    assert time.monotonic() - started < 9  # it answered on the change, not at the end of the wait
    final = outcome(w, order_id)
    # a terminal status cannot move: answered at once
    started = time.monotonic()
    again = w.get(f"/orders/{order_id}/status", params={"wait": 10})
    assert again.json() == final and time.monotonic() - started < 2
    # an unknown order is a 404 after the wait, and the wait is bounded by a number
    assert w.get("/orders/nope/status", params={"wait": 0.5}).status_code == 404
    bad = w.get(f"/orders/{order_id}/status", params={"wait": "soon"})
    assert bad.status_code == 400 and bad.json()["error"] == "invalid_wait"
    bad = w.get(f"/orders/{order_id}/status", params={"wait": 1, "until": "soon"})
    assert bad.status_code == 400 and bad.json()["error"] == "invalid_until"


def test_until_terminal_waits_for_the_outcome_not_the_next_step(
    shop: tuple[System, Worker],
) -> None:
    _, w = shop
    order_id = new_order(w)
    resp = w.get(f"/orders/{order_id}/status", params={"wait": 10, "until": "terminal"})
    assert resp.status_code == 200 and resp.json()["status"] == "CONFIRMED", resp.text


def test_orders_list_filters_pages_and_rejects_bad_cursors(shop: tuple[System, Worker]) -> None:
    _, w = shop
    user, sku = register(w), restock(w, 50, 3.0)
    orders = [place(w, user, [(sku, 1)]).json()["orderId"] for _ in range(5)]
    for order_id in orders:
        outcome(w, order_id)
    seen, cursor = [], None
    while True:
        params = {
            "user": user,
            "status": "CONFIRMED",
            "limit": 2,
            **({"cursor": cursor} if cursor else {}),
        }
        body = w.get("/orders", params=params).json()
        assert len(body["items"]) <= 2
        seen += [o["orderId"] for o in body["items"]]
        if (cursor := body["nextCursor"]) is None:
            break
    assert sorted(seen) == sorted(orders) and len(seen) == len(set(seen))
    assert w.get("/orders", params={"user": user, "status": "CANCELLED"}).json() == {
        "items": [],
        "nextCursor": None,
    }
    for params, error in (
        ({"cursor": "garbage!"}, "invalid_cursor"),
        ({"limit": 0}, "invalid_limit"),
        ({"sort": "x"}, "invalid_sort"),
    ):
        resp = w.get("/orders", params=params)
        assert resp.status_code == 400 and resp.json()["error"] == error


def test_user_totals_and_revenue_by_hour(shop: tuple[System, Worker]) -> None:
    _, w = shop
    user, sku = register(w, tier="gold"), restock(w, 10, 25.0)
    for qty in (1, 3):
        outcome(w, place(w, user, [(sku, qty)]).json()["orderId"])
    outcome(w, place(w, user, [(sku, 50)]).json()["orderId"])  # out of stock
    totals = eventually(
        lambda: (
            (r := w.get(f"/aggregates/{user}")).status_code == 200
            and r.json()["ordersPlaced"] == 3
            and r.json()
        )
    )
    assert (totals["ordersConfirmed"], totals["ordersCancelled"], totals["amountConfirmed"]) == (
        2,
        1,
        100.0,
    )
    assert totals["averageBasket"] == 50.0 and totals["cancellationReasons"] == {"out of stock": 1}
    rows = w.get(f"/aggregates/{user}/revenue", params={"hours": 3}).json()["hours"]
    assert (
        len(rows) == 3 and rows[-1]["revenue"] == 100.0 and sum(r["revenue"] for r in rows) == 100.0
    )
    assert w.get("/aggregates/nobody-at-all").status_code == 404
    assert w.get(f"/aggregates/{user}/revenue", params={"hours": "lots"}).status_code == 400
    everyone = w.get("/aggregates", params={"sort": "amount", "limit": 500}).json()["items"]
    assert any(t["userId"] == user and t["amountConfirmed"] == 100.0 for t in everyone)
    assert [t["amountConfirmed"] for t in everyone] == sorted(
        (t["amountConfirmed"] for t in everyone), reverse=True
    )


def test_totals_snapshots_reach_the_compacted_topic(shop: tuple[System, Worker]) -> None:
    system, w = shop
    user, sku = register(w), restock(w, 10, 4.0)
    outcome(w, place(w, user, [(sku, 2)]).json()["orderId"])

    def latest() -> dict | None:
        records = read_topic(system.bootstrap, system.topic("orders.aggregates"), 1, timeout=3)
        mine = [orjson.loads(r.value)["data"] for r in records if r.key == user.encode()]
        return mine[-1] if mine and mine[-1]["ordersConfirmed"] == 1 else None

    snapshot = eventually(latest, 30)
    assert snapshot["amountConfirmed"] == 8.0 and snapshot["userId"] == user
    assert httpx.get(f"{w.url}/aggregates/{user}").json()["amountConfirmed"] == 8.0


def test_orders_per_minute_counts_every_placed_order(shop: tuple[System, Worker]) -> None:
    _, w = shop
    before = sum(
        r["orders"]
        for r in w.get("/stats/orders-per-minute", params={"minutes": 10}).json()["minutes"]
    )
    user, sku = register(w), restock(w, 10, 1.0)
    for _ in range(3):
        outcome(w, place(w, user, [(sku, 1)]).json()["orderId"])

    def counted() -> int:
        rows = w.get("/stats/orders-per-minute", params={"minutes": 10}).json()["minutes"]
        assert len(rows) == 10 and rows[0]["minute"] < rows[-1]["minute"]
        return sum(r["orders"] for r in rows)

    assert eventually(lambda: counted() - before == 3)
    assert w.get("/stats/orders-per-minute", params={"minutes": 0}).status_code == 400


def test_only_the_events_totals_count_cross_the_by_user_repartition(
    shop: tuple[System, Worker],
) -> None:
    # Given an order confirmed, and its totals counted
    system, w = shop
    user, sku = register(w), restock(w, 10, 2.0)
    order_id = place(w, user, [(sku, 1)]).json()["orderId"]
    assert outcome(w, order_id)["status"] == "CONFIRMED"
    eventually(lambda: w.get(f"/aggregates/{user}").json().get("ordersConfirmed") == 1)

    # Then orders.events holds its stock and payment answers too, the repartition only the rest
    def types(topic: str) -> list[str]:
        records = read_topic(system.bootstrap, topic, 1, timeout=5)
        return [orjson.loads(r.value)["eventType"] for r in records
                if orjson.loads(r.value)["data"].get("orderId") == order_id]  # fmt: skip

    assert {"StockReserved", "PaymentAuthorized"} <= set(types(system.topic("orders.events")))
    names = asyncio.run(topic_names(system.bootstrap))
    app_id = system.env["ORDERS_APP_ID"]
    [regrouped] = [n for n in names if n.startswith(f"{app_id}-")
                   and n.endswith("-by-user-repartition")]  # fmt: skip
    assert sorted(types(regrouped)) == ["OrderConfirmed", "OrderCreated"]
