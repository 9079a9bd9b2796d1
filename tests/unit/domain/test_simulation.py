"""The simulator: deterministic, enriched orders, corrupt records that are all refused."""

from __future__ import annotations

from domain import simulation
from domain.envelope import Invalid, Parsed, parse
from domain.messages import OrderCreated


def test_simulator_counts_and_determinism() -> None:
    first = list(simulation.orders(100, seed=7, corrupt_ratio=0.05))
    again = list(simulation.orders(100, seed=7, corrupt_ratio=0.05))
    assert [r.key for r in first] == [r.key for r in again]
    assert sum(not r.corrupt for r in first) == 100
    assert sum(r.corrupt for r in first) == 5


def test_simulated_orders_are_valid_and_enriched() -> None:
    for rec in simulation.orders(30, seed=3):
        result = parse(rec.value, "orders.events")
        assert isinstance(result, Parsed), result
        body = result.body
        assert isinstance(body, OrderCreated)
        assert rec.key == body.orderId
        assert body.amount == sum(i.unitPrice * i.quantity for i in body.items)
        assert body.customer.email


def test_simulated_corrupt_records_are_all_rejected() -> None:
    corrupt = [r for r in simulation.orders(200, seed=11, corrupt_ratio=0.1) if r.corrupt]
    assert len(corrupt) == 20
    assert all(isinstance(parse(r.value, "orders.events"), Invalid) for r in corrupt)
