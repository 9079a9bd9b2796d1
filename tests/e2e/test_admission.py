"""Admission control at the edge, on two real workers: orders whose path has a backlog longer than
the budget are answered 429 with Retry-After by any worker, the others are taken, and once the
backlog drains the refused customers are taken again; nothing accepted is lost."""

from __future__ import annotations

import httpx

from app.runtime.partitioning import partition_for
from tests.support.shop import outcome, place, register, restock
from tests.support.system import System, Worker, eventually

# over Faust's commit interval (2.8 s): records handled but not committed yet count as waiting
ADMISSION = {"ORDERS_ADMISSION_BACKLOG": "5", "ORDERS_ADMISSION_INTERVAL": "0.5"}
# the stuck worker leaves its partitions after 20 s standing still: time to see the refusals
QUICK = {"ORDERS_STALL_TIMEOUT": "20", "ORDERS_STALL_CHECK": "2", "ORDERS_DRAIN_TIMEOUT": "30"}


def owned(worker: Worker, topic: str) -> set[int]:
    return {int(p.rsplit("/", 1)[1]) for p in worker.get("/health").json()["assignedPartitions"]
            if p.rsplit("/", 1)[0] == topic}  # fmt: skip


def backlog(worker: Worker) -> dict[str, float]:
    return worker.get("/stats").json()["admission"]["backlogSeconds"]


def test_orders_behind_a_stalled_partition_get_429_until_it_drains(system: System) -> None:
    # Given two workers, one of which never finishes the order commands it takes
    commands = system.topic("orders.commands")
    held = ",".join(f"orders.commands/{p}" for p in range(3))
    stuck = system.start_worker("stuck", ORDERS_FAULT_HOLD=held, **QUICK, **ADMISSION)
    stuck.wait_ready()
    healthy = system.start_worker("healthy", **QUICK, **ADMISSION)
    healthy.wait_ready()
    eventually(lambda: stuck.owns(commands) and healthy.owns(commands), 60)
    behind = owned(stuck, commands)
    sku = restock(healthy, 1000, 5.0)
    users = [register(healthy) for _ in range(12)]
    slow = [u for u in users if partition_for(u.encode(), 3) in behind]
    fast = [u for u in users if partition_for(u.encode(), 3) not in behind]
    assert slow and fast, "customers must live on both workers' partitions"
    taken = [place(healthy, slow[0], [(sku, 1)]).json()["orderId"]]  # no backlog yet: taken
    healthy.post(f"/carts/{slow[0]}/items", json={"sku": sku, "quantity": 1})
    eventually(lambda: healthy.get(f"/carts/{slow[0]}").json()["items"], 30)

    # When it has waited longer than the budget, a new order on its path is refused by any worker
    def refused() -> httpx.Response | None:
        resp = place(healthy, slow[0], [(sku, 1)])
        if resp.status_code == 202:  # still within the budget: one more order behind it
            taken.append(resp.json()["orderId"])
        return resp if resp.status_code == 429 else None

    resp = eventually(refused, 30, interval=0.5)
    assert resp.json()["error"] == "overloaded", resp.text
    assert "backlog" in resp.json()["detail"], resp.text
    assert 1 <= int(resp.headers["Retry-After"]) <= 30
    # checkout too, on either worker: each samples the backlog on its own, so once the stuck one
    # has seen it past the budget as well
    eventually(lambda: backlog(stuck).get("orders.commands", 0) > 5, 30)
    assert stuck.post(f"/carts/{slow[0]}/checkout").status_code == 429
    # while customers whose partitions move are taken and served
    fine = place(stuck, fast[0], [(sku, 1)])
    assert fine.status_code == 202, fine.text
    assert outcome(healthy, fine.json()["orderId"], 60)["status"] == "CONFIRMED"
    admission = healthy.get("/stats").json()["admission"]
    assert admission["budgetSeconds"] == 5 and admission["refused"] >= 1, admission
    assert admission["backlogSeconds"]["orders.commands"] > 5, admission
    assert "orders_refused_total" in healthy.get("/metrics").text

    # Then once the stuck worker steps aside and the backlog drains, the customer is taken again
    assert stuck.proc is not None and stuck.proc.wait(90) != 0

    def taken_again() -> str | None:
        resp = place(healthy, slow[0], [(sku, 1)])
        return resp.json()["orderId"] if resp.status_code == 202 else None

    taken.append(eventually(taken_again, 90, interval=1))
    for order_id in taken:  # and every order accepted before the refusals ends confirmed
        assert outcome(healthy, order_id, 90)["status"] == "CONFIRMED"
