"""A table write that reached the worker's RocksDB but not its changelog before a kill -9 is not
lost: the restarted worker does not trust its local stores (issue 17)."""

from __future__ import annotations

import asyncio
import uuid

from rocksdict import Options, Rdict

from app.adapters.readall import read_all
from app.runtime.partitioning import partition_for
from domain import envelope
from domain.messages import LineItem, PlaceOrder
from domain.orders import Decision
from tests.support.kafka import produce
from tests.support.shop import register, restock
from tests.support.system import System, eventually


def test_a_decision_the_changelog_never_got_is_made_again_after_a_kill(system: System) -> None:
    # Given a worker that has handled orders, so its local stores exist, and a customer
    worker = system.start_worker()
    worker.wait_ready()
    user, sku = register(worker), restock(worker, 10, 2.5)
    # When the worker is killed -9 just after writing the decision on a new order to its local
    # store, before the changelog got it (the order's command not yet committed, so it comes again)
    worker.kill()
    order_id = str(uuid.uuid4())
    partition = partition_for(user.encode(), 3)
    store = worker.datadir / "v1" / "tables" / f"order-decisions-{partition}.db"
    db = Rdict(str(store), Options(raw_mode=True))
    db[order_id.encode()] = Decision(envelopes=[]).model_dump_json().encode()  # "already decided"
    db.close()
    command = PlaceOrder(orderId=order_id, userId=user, currency="EUR",
                         items=[LineItem(sku=sku, quantity=1)])  # fmt: skip
    produce(system.bootstrap, system.topic("orders.commands"),
            [(user.encode(), envelope.dumps(envelope.build(command, correlation_id=order_id)),
              partition)])  # fmt: skip
    worker.start()
    worker.wait_ready(120)
    # Then the order is decided again: it exists, and its decision is on the changelog
    eventually(lambda: worker.get(f"/orders/{order_id}/status").status_code == 200, 60)
    changelog = f"orders-{system.prefix.rstrip('.')}-order-decisions-changelog"
    # (flushed from the tables' record cache at the next commit)
    eventually(lambda: order_id.encode() in {
        r.key for r in asyncio.run(read_all(system.bootstrap, [changelog]))}, 30)  # fmt: skip
