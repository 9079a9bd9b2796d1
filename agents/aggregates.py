"""Per-user aggregation: orders.events regrouped by userId (``regroup``) → user-aggregates, revenue
and per-minute windows; debounced UserTotals snapshots to orders.aggregates."""

from __future__ import annotations

from faust.streams import current_event

from app.application import app
from app.runtime.committed import committed_offset
from app.runtime.intake import consume, forward, send_envelope
from app.runtime.senders import sends
from app.settings import settings
from app.topics import by_user_topic, orders_events_topic
from domain import aggregates, envelope
from domain.envelope import Parsed
from domain.messages import OrderMessage, UserTotals
from tables.aggregates import (
    minute_key,
    orders_per_minute,
    revenue_hourly,
    user_aggregates,
    user_orders,
)

# userId -> latest totals not yet published; a burst for one user becomes one snapshot
pending_snapshots: dict[str, UserTotals] = {}


async def regroup(parsed: Parsed) -> None:
    """The by-user repartition: an event that totals and windows count (OrderCreated, -Rejected,
    -Confirmed, -Cancelled) is sent on as it came, keyed by its ``userId``, so one worker sees all
    of a user's orders. The others (stock and payment answers, about half of the topic) do not
    cross it. One of the handlers of ``follow-order-events`` (``agents.order_events``)."""
    if parsed.envelope.eventType not in aggregates.COUNTED:
        return
    body = parsed.body
    assert isinstance(body, OrderMessage)
    event = current_event()
    assert event is not None and event.message.value is not None  # inside its event; it parsed
    what = f"{parsed.envelope.eventType} {parsed.envelope.eventId} to the by-user repartition"
    await forward(by_user_topic, body.userId.encode(), event.message.value, what)


async def aggregate(parsed: Parsed) -> None:
    body = parsed.body
    assert isinstance(body, OrderMessage)
    event = current_event()
    assert event is not None  # called from the agent, inside its event
    message = event.message
    before = user_aggregates.get(body.userId)
    key = aggregates.ledger_key(body.userId, body.orderId)
    known = before is not None and before.seen(body.orderId) is not None
    ledger = None if known else user_orders.get(key)  # a new order's first event, or a repeat
    committed = committed_offset(app.consumer, message.tp)
    folded = aggregates.evolve(
        before, parsed, at=message.offset, committed=committed, ledger=ledger
    )
    if folded.settled is not None and folded.settled != ledger:  # again while ``recent`` has it
        user_orders.put(key, folded.settled)
    after = folded.state
    if after != before:
        user_aggregates.put(body.userId, after)
        if before is None or after.totals != before.totals:
            pending_snapshots[body.userId] = after.totals
    windows = aggregates.in_windows(folded.seen, body)
    if windows.confirmed_amount is not None:
        hour = revenue_hourly[body.userId].value()
        revenue_hourly[body.userId] = {**hour, body.orderId: float(windows.confirmed_amount)}
    if windows.placed:
        minute = minute_key(message.partition, body.orderId)
        orders_per_minute[minute] = {**orders_per_minute[minute].value(), body.orderId: 1}


@app.agent(by_user_topic, name="aggregate-users")
@sends(UserTotals)
async def aggregate_users(stream):  # type: ignore[no-untyped-def]
    """Reads ``orders.events`` regrouped by userId (the by-user repartition, written by
    ``follow-order-events``); changes ``user-aggregates``, ``user-orders``, ``revenue-hourly``
    and ``orders-per-minute``; snapshots are sent by ``publish_snapshots``. Idempotent per order: a
    redelivered event is not counted twice."""
    async for outcome in consume(stream, orders_events_topic, aggregate, owner=False, keyed=False):
        yield outcome


@app.timer(settings.snapshot_interval)
async def publish_snapshots() -> None:
    """Debounce: the latest totals of each user changed since the last tick, one message each."""
    while pending_snapshots:
        _, totals = pending_snapshots.popitem()
        await send_envelope(envelope.build(totals, correlation_id=None))


@app.on_partitions_revoked.connect  # type: ignore[arg-type]  # mode's SignalHandlerT fits no function
async def drop_snapshots(sender: object, revoked: object, **kwargs: object) -> None:
    """Totals of partitions this worker may lose: their new owner publishes them from now on,
    and an older snapshot from here must not land after its newer one."""
    pending_snapshots.clear()
