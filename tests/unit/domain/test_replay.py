"""Replay's folds without a broker: the agents' functions, and what a dead letter leaves out."""

from __future__ import annotations

from domain import envelope, simulation
from domain.envelope import Parsed
from domain.messages import OrderConfirmed
from domain.replay import Projections, differences


def parsed(raw: bytes) -> Parsed:
    result = envelope.parse(raw, "orders.events")
    assert isinstance(result, Parsed)
    return result


def order() -> tuple[Parsed, Parsed]:
    created = parsed(next(iter(simulation.orders(1, seed=3))).value)
    body = created.body
    confirmed = envelope.build(
        OrderConfirmed(orderId=body.orderId, userId=body.userId, amount=body.amount),  # type: ignore[attr-defined]
        correlation_id=body.orderId,  # type: ignore[attr-defined]
    )
    return created, parsed(envelope.dumps(confirmed))


def test_statuses_and_totals_fold_like_the_agents_and_once_per_event() -> None:
    created, confirmed = order()
    views = Projections()
    for p in (created, confirmed, confirmed):  # a redelivered event changes nothing
        views.order_event(p)
    public = views.public()
    [status] = public["orders"].values()
    assert status["status"] == "CONFIRMED" and len(status["events"]) == 2
    [totals] = public["users"].values()
    assert totals["ordersPlaced"] == 1 and totals["ordersConfirmed"] == 1


def test_an_event_an_agent_dead_lettered_is_left_out_of_that_agents_projection_only() -> None:
    created, confirmed = order()
    views = Projections()
    views.order_event(created)
    views.order_event(confirmed, status=True, totals=False)  # the aggregator gave up on it
    public = views.public()
    [status] = public["orders"].values()
    [totals] = public["users"].values()
    assert status["status"] == "CONFIRMED" and totals["ordersConfirmed"] == 0


def test_differences_name_the_key_and_the_field() -> None:
    replayed = {"orders": {"o-1": {"status": "CONFIRMED"}, "o-2": {"status": "CANCELLED"}}}
    live = {"orders": {"o-1": {"status": "CANCELLED"}}}
    assert differences(replayed, live) == [
        "orders/o-1: status 'CONFIRMED' (replay) != 'CANCELLED' (live)",
        "orders/o-2: only in replay",
    ]
    assert differences(replayed, replayed) == []
