"""1,000 simulated orders with mixed outcomes on two workers: every order ends, stock adds up."""

from __future__ import annotations

import time
from collections import Counter

from domain import scenario
from domain.messages import PlaceOrder
from domain.simulation import CATALOG
from tests.support.shop import TERMINAL
from tests.support.system import System, eventually

ORDERS, SEED, USERS = 1000, 11, 40
FAST = {"ORDERS_SAGA_TIMEOUT": "5", "ORDERS_RETRY_BASE": "0.1", "ORDERS_RETRY_MAX_DELAY": "0.5"}


def test_thousand_orders_all_end_and_stock_adds_up(system: System) -> None:
    # Given two workers
    w1, w2 = system.start_worker(**FAST), system.start_worker(**FAST)
    w1.wait_ready()
    w2.wait_ready()
    # When the simulator registers customers, stocks the catalog and places 1,000 orders
    started = time.monotonic()
    system.faust("simulate", "--orders", str(ORDERS), "--rate", "0", "--seed", str(SEED),
                 "--users", str(USERS), "--settle", "5", timeout=300)  # fmt: skip
    placed = [s.message for s in scenario.orders(ORDERS, seed=SEED, users=USERS)
              if isinstance(s.message, PlaceOrder)]  # fmt: skip
    assert len(placed) == ORDERS

    # Then every order reaches a terminal status (asked of either worker)
    def all_terminal() -> dict[str, dict]:
        out = {}
        for i, order in enumerate(placed):
            resp = (w1 if i % 2 else w2).get(f"/orders/{order.orderId}/status")
            if resp.status_code != 200 or resp.json()["status"] not in TERMINAL:
                return {}
            out[order.orderId] = resp.json()
        return out

    statuses = eventually(all_terminal, 300, interval=2)
    outcomes = Counter(s["status"] for s in statuses.values())
    print(f"1,000 orders terminal after {time.monotonic() - started:.0f}s: {dict(outcomes)}")
    assert outcomes["CONFIRMED"] > 0 and outcomes["CANCELLED"] > 0
    # And for each sku: nothing negative, nothing left reserved, and
    # initial - available - reserved == quantity sold in confirmed orders
    sold: Counter[str] = Counter()
    for status in statuses.values():
        if status["status"] == "CONFIRMED":
            for item in status["details"]["items"]:
                sold[item["sku"]] += item["quantity"]
    initial = {sku: scenario.STOCK for sku, _, _ in CATALOG} | {
        scenario.SCARCE[0]: scenario.SCARCE_STOCK
    }
    for sku, start in initial.items():
        level = eventually(
            lambda sku=sku: (r := w1.get(f"/inventory/{sku}")).status_code == 200 and r.json()  # type: ignore[misc]  # a lambda binding its loop variable
        )
        assert level["available"] >= 0 and level["reserved"] == 0, level
        assert start - level["available"] - level["reserved"] == sold[sku] == level["sold"], (
            sku,
            level,
            sold[sku],
        )
