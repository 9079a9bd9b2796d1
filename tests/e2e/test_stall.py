"""A worker that owns a partition but cannot make progress on it says so and steps aside."""

from __future__ import annotations

from app.runtime.partitioning import partition_for
from tests.support.shop import outcome, place, register, restock
from tests.support.system import System, eventually

QUICK = {"ORDERS_STALL_TIMEOUT": "6", "ORDERS_STALL_CHECK": "2", "ORDERS_DRAIN_TIMEOUT": "30"}


def test_a_stuck_partition_turns_health_503_and_moves_to_the_other_worker(system: System) -> None:
    # Given two workers, one of which takes the order commands it owns and never finishes them
    commands = system.topic("orders.commands")
    held = ",".join(f"orders.commands/{p}" for p in range(3))
    stuck = system.start_worker("stuck", ORDERS_FAULT_HOLD=held, **QUICK)
    stuck.wait_ready()
    healthy = system.start_worker("healthy", **QUICK)
    healthy.wait_ready()
    eventually(lambda: stuck.owns(commands) and healthy.owns(commands), 60)
    owned = {int(p.rsplit("/", 1)[1]) for p in stuck.get("/health").json()["assignedPartitions"]
             if p.rsplit("/", 1)[0] == commands}  # fmt: skip
    sku = restock(healthy, 100, 5.0)
    users = [register(healthy) for _ in range(12)]
    on_stuck = [u for u in users if partition_for(u.encode(), 3) in owned]
    assert on_stuck, "some customers must live on the stuck worker's partitions"
    # When customers of every partition place orders
    orders = [place(healthy, u, [(sku, 1)]).json()["orderId"] for u in users]

    # Then the stuck worker's /health answers 503 naming the partitions it does not move
    def says_stalled() -> dict | None:
        resp = stuck.get("/health")
        return resp.json() if resp.status_code == 503 and resp.json()["stalledPartitions"] else None

    body = eventually(says_stalled, 60, interval=0.2)
    named = {p.rsplit("/", 1)[0] for p in body["stalledPartitions"]}
    assert named == {commands}, body
    assert "stalled: " in body["detail"], body
    # and it leaves the group: the other worker takes the partitions and every order ends
    assert stuck.proc is not None and stuck.proc.wait(90) != 0
    eventually(lambda: healthy.get("/health").status_code == 200, 60)
    assert {p for p in range(3)} == {
        int(p.rsplit("/", 1)[1])
        for p in healthy.get("/health").json()["assignedPartitions"]
        if p.rsplit("/", 1)[0] == commands
    }
    for order_id in orders:
        assert outcome(healthy, order_id, timeout=90)["status"] == "CONFIRMED"
