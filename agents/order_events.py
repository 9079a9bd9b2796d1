"""One reader of ``orders.events`` for the three things that follow it: the tracker (order
statuses), the saga (its table, its commands, its deadlines) and the by-user repartition (the
aggregator's input).

Each was an agent of its own, so each record was delivered three times on every worker: three
turns through Faust's stream, three acks, three spans (13 of the 20 deliveries an order cost,
``make bench``). A Kafka Streams sub-topology reads its source topic once and hands each record
to every processor fed by it; this agent does the same. The handlers stay apart: each runs with
its own retries, its own dead letter (naming it) and its own outbox lane, so one failing leaves
the others' effects, and the tracker's writes, which send nothing, are not flushed ahead of the
commit for the saga's events (``app.runtime.intake``)."""

from __future__ import annotations

from agents import aggregates, saga
from app.application import app
from app.observability import metrics
from app.runtime.intake import consume
from app.runtime.senders import sends
from app.topics import orders_events_topic
from domain.envelope import Parsed
from domain.messages import OrderMessage
from domain.order_status import evolve, finished
from tables.order_status import order_statuses


async def track(parsed: Parsed) -> None:
    """The tracker: each event folded into its order's status, once per eventId."""
    body = parsed.body
    assert isinstance(body, OrderMessage)  # every orders.events type is one
    before = order_statuses.get(body.orderId)
    after = evolve(before, parsed)
    order_statuses.put(body.orderId, after)
    if outcome := finished(before, after):
        metrics.orders_finished.labels(outcome).inc()


# In this order: the saga's commands are the order's next step, so they are decided first.
FOLLOWERS = (saga.run_saga, track, aggregates.regroup)


@app.agent(orders_events_topic, name="follow-order-events")
@sends(*saga.SENDS)
async def follow_order_events(stream):  # type: ignore[no-untyped-def]
    """Owns ``orders.events``: audits every record, sends invalid ones to ``orders.dlq`` and
    repairs misplaced ones; runs the saga (``sagas``; ReserveStock / ReleaseStock / CommitStock,
    AuthorizePayment / VoidPayment, OrderConfirmed / OrderCancelled), folds each event into
    ``order-status`` and sends the events the user totals count on to the by-user repartition."""
    async for outcome in consume(stream, orders_events_topic, FOLLOWERS):
        yield outcome
