"""A user's value lists only open and recently settled orders; the ``user-orders`` ledger keeps
the rest. Checked against crashes that keep any prefix of each table's writes since the last
commit, with the by-user repartition repeating events as new records."""

from __future__ import annotations

import random
from collections import Counter
from decimal import Decimal

import pytest

from domain import aggregates
from domain.aggregates import Settled, UserAggregate
from domain.messages import OrderCancelled, OrderConfirmed, OrderMessage, OrderRejected
from tests.support.events import event
from tests.unit.domain.test_aggregates import created

IDS = {"userId": "u-1"}


def test_a_settled_order_leaves_the_value_once_the_commit_passes_it() -> None:
    placed = aggregates.evolve(None, event(created("o1", "10.00")), at=0)
    assert placed.settled is None and placed.state.orders == {"o1": placed.seen}
    confirmed = aggregates.evolve(placed.state, event(OrderConfirmed(orderId="o1", **IDS)), at=1)
    entry = Settled(state="CONFIRMED", amount=Decimal("10.00"), offset=1)
    assert confirmed.settled == entry and confirmed.state.orders == {}
    assert confirmed.state.recent["o1"].offset == 1
    later = created("o2", "5.00")
    kept = aggregates.evolve(confirmed.state, event(later), at=2, committed=1)
    assert "o1" in kept.state.recent  # the commit is not past offset 1 yet
    gone = aggregates.evolve(confirmed.state, event(later), at=2, committed=2)
    assert "o1" not in gone.state.recent and gone.state.totals.ordersConfirmed == 1


def test_a_repeat_after_it_left_is_answered_by_the_ledger() -> None:
    state = fold_committed(created("o1", "10.00"), OrderConfirmed(orderId="o1", **IDS))
    assert state.seen("o1") is None
    entry = Settled(state="CONFIRMED", amount=Decimal("10.00"), offset=1)
    again = aggregates.evolve(state, event(created("o1", "10.00")), at=9, committed=9, ledger=entry)
    assert again.state.totals == state.totals and again.settled is None
    assert aggregates.in_windows(again.seen, created("o1", "10.00")).placed
    confirmation = OrderConfirmed(orderId="o1", **IDS)
    revenue = aggregates.evolve(state, event(confirmation), at=9, committed=9, ledger=entry)
    assert aggregates.in_windows(revenue.seen, confirmation).confirmed_amount == Decimal("10.00")


def test_a_ledger_entry_the_commit_is_not_past_is_not_taken() -> None:
    """A crash kept the ledger's flush and lost the value's: the order's records come again
    from the commit, and count as if the ledger did not know it."""
    entry = Settled(state="CANCELLED", amount=Decimal("10.00"), offset=4)
    for committed in (None, 3, 4):
        again = aggregates.evolve(
            None, event(created("o1", "10.00")), at=3, committed=committed, ledger=entry
        )
        assert again.state.totals.ordersPlaced == 1
    taken = aggregates.evolve(None, event(created("o1", "10.00")), at=9, committed=5, ledger=entry)
    assert taken.state.totals.ordersPlaced == 0


def test_a_redelivered_record_writes_the_ledger_entry_a_crash_lost_again() -> None:
    placed = aggregates.evolve(None, event(created("o1", "10.00")), at=0).state
    rejected = OrderRejected(orderId="o2", **IDS, reasons=["unknown sku x"])
    for body in (OrderConfirmed(orderId="o1", **IDS), rejected):
        settled = aggregates.evolve(placed, event(body), at=1)
        # the value with the settlement survived a crash, the ledger entry did not: the record
        # comes again (the commit is not past it) and its entry is written again
        again = aggregates.evolve(settled.state, event(body), at=1, committed=1)
        assert again.state.totals == settled.state.totals and again.settled == settled.settled


def test_a_value_written_before_the_ledger_still_knows_its_settled_orders() -> None:
    old = UserAggregate.model_validate_json(
        '{"totals": {"userId": "u-1", "ordersPlaced": 1, "ordersConfirmed": 1,'
        ' "amountConfirmed": "10.00"}, "orders": {"o1": {"state": "CONFIRMED", "amount": "10.00"}}}'
    )
    again = aggregates.evolve(old, event(created("o1", "10.00")), at=5, committed=5)
    assert again.state.totals == old.totals and again.settled is None


def fold_committed(*bodies: OrderMessage) -> UserAggregate:
    """The events at offsets 0, 1, …, each committed before the next, then one more record
    once the commit is past them all."""
    state = None
    for at, body in enumerate(bodies):
        state = aggregates.evolve(state, event(body), at=at, committed=at).state
    assert state is not None
    last = created("o0", "1.00")
    return aggregates.evolve(state, event(last), at=len(bodies), committed=99).state


def reference(bodies: list[OrderMessage]) -> Counter[str]:
    """Each order's outcome counted once, however often its events repeat."""
    where: dict[str, str] = {}
    counts: Counter[str] = Counter()
    for body in bodies:
        kind, now = type(body).__name__, where.get(body.orderId)
        first = kind in ("OrderCreated", "OrderRejected") and now is None
        if first or (kind in ("OrderConfirmed", "OrderCancelled") and now == "OrderCreated"):
            where[body.orderId] = kind
            counts[kind] += 1
    return counts


def records(rng: random.Random) -> list[OrderMessage]:
    """One user's orders as the by-user repartition carries them: each order's events in order,
    orders interleaved, and earlier events sent again as new records (a forwarder's redelivery)."""
    out: list[OrderMessage] = []
    for n in range(rng.randint(5, 25)):
        order = f"o{n}"
        if rng.random() < 0.15:
            out.append(OrderRejected(orderId=order, **IDS, reasons=["unknown sku x"]))
        else:
            out.append(created(order, f"{n + 1}.00"))
            end = rng.choice([OrderConfirmed, OrderCancelled, None])
            if end is OrderCancelled:
                out.append(OrderCancelled(orderId=order, **IDS, reason="timeout"))
            elif end is OrderConfirmed:
                out.append(OrderConfirmed(orderId=order, **IDS))
        if out and rng.random() < 0.3:
            out.extend(rng.sample(out, k=rng.randint(1, min(4, len(out)))))
    return out


def run(bodies: list[OrderMessage], rng: random.Random) -> tuple[UserAggregate, int]:
    """The aggregator over ``bodies`` with commits and crashes at random. A crash keeps a prefix
    of each table's writes since the last commit (a flush lands in order, or partly) and the
    records from the committed offset come again."""
    durable: dict[str, dict[str, object]] = {"value": {}, "ledger": {}}
    pending: dict[str, list[tuple[str, object]]] = {"value": [], "ledger": []}
    committed, at, crashes = 0, 0, 0
    while at < len(bodies):
        live = {t: {**durable[t], **dict(pending[t])} for t in durable}
        body = bodies[at]
        value = live["value"].get("u-1")
        assert value is None or isinstance(value, UserAggregate)
        known = value is not None and value.seen(body.orderId) is not None
        ledger = None if known else live["ledger"].get(body.orderId)
        assert ledger is None or isinstance(ledger, Settled)
        folded = aggregates.evolve(value, event(body), at=at, committed=committed, ledger=ledger)
        if folded.settled is not None and folded.settled != ledger:
            pending["ledger"].append((body.orderId, folded.settled))
        if folded.state != value:
            pending["value"].append(("u-1", folded.state))
        at += 1
        if rng.random() < 0.2:  # a commit: every write acknowledged first
            for table, writes in pending.items():
                durable[table].update(writes)
                writes.clear()
            committed = at
        elif rng.random() < 0.15:  # a kill -9
            for table, writes in pending.items():
                durable[table].update(writes[: rng.randint(0, len(writes))])
                writes.clear()
            at, crashes = committed, crashes + 1
    for table, writes in pending.items():
        durable[table].update(writes)
    final = durable["value"]["u-1"]
    assert isinstance(final, UserAggregate)
    return final, crashes


@pytest.mark.parametrize("seed", range(300))
def test_crashes_between_the_two_flushes_count_every_order_once(seed: int) -> None:
    rng = random.Random(seed)
    bodies = records(rng)
    state, _ = run(bodies, rng)
    t, want = state.totals, reference(bodies)
    assert (t.ordersPlaced, t.ordersRejected, t.ordersConfirmed, t.ordersCancelled) == (
        want["OrderCreated"], want["OrderRejected"], want["OrderConfirmed"], want["OrderCancelled"]
    )  # fmt: skip
    assert all(seen.state == "PLACED" for seen in state.orders.values())
