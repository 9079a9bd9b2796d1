"""Saga deadlines survive the worker that set them: the survivor fires them after a kill -9."""

from __future__ import annotations

from app.runtime.partitioning import partition_for
from tests.support.shop import outcome, place, register, restock, stock
from tests.support.system import System, eventually

SLOW = {"ORDERS_SAGA_TIMEOUT": "8", "ORDERS_RETRY_BASE": "0.1", "ORDERS_RETRY_MAX_DELAY": "0.2"}


def test_waiting_sagas_of_a_killed_worker_time_out_on_the_survivor(system: System) -> None:
    # Given two workers, and orders whose payment never gets an answer (the gateway is down for XTS)
    w1, w2 = system.start_worker(**SLOW), system.start_worker(**SLOW)
    w1.wait_ready()
    w2.wait_ready()
    events = system.topic("orders.events")
    eventually(lambda: w1.owns(events) and w2.owns(events), 60)
    user, sku = register(w2), restock(w2, 100, 10.0)
    orders = [place(w2, user, [(sku, 1)], currency="XTS").json()["orderId"] for _ in range(12)]
    owned = {int(p.rsplit("/", 1)[1]) for p in w1.get("/health").json()["assignedPartitions"]
             if p.rsplit("/", 1)[0] == events}  # fmt: skip
    on_w1 = [o for o in orders if partition_for(o.encode(), 3) in owned]
    assert on_w1, "some sagas must live on the worker that is killed"
    eventually(lambda: all(w2.get(f"/orders/{o}/status").status_code == 200 for o in orders), 30)
    # When the worker holding some of those sagas is killed before their deadlines
    w1.kill()
    # Then the survivor cancels every one of them with reason timeout, and releases the stock
    for order_id in orders:
        status = outcome(w2, order_id, timeout=90)
        assert status["status"] == "CANCELLED", status
        assert status["details"]["cancellationReason"] == "timeout"
    assert eventually(
        lambda: stock(w2, sku)["available"] == 100 and stock(w2, sku)["reserved"] == 0, 30
    )
