"""The order saga: orders.events → sagas table → inventory and payment commands, and deadlines.

``run_saga`` is one of the handlers ``follow-order-events`` runs on each record
(``agents.order_events``)."""

from __future__ import annotations

import logging
import time
from datetime import timedelta
from typing import Any

from app.adapters.lag import group_lag
from app.application import app
from app.observability import metrics
from app.runtime.assignment import owned_partitions
from app.runtime.intake import send_envelope
from app.runtime.outbox import replays_alike
from app.runtime.partitioning import partition_for
from app.settings import settings
from domain import envelope
from domain.envelope import Parsed
from domain.messages import (
    AuthorizePayment,
    CommitStock,
    OrderCancelled,
    OrderConfirmed,
    OrderMessage,
    OrderTimedOut,
    ReleaseStock,
    ReserveStock,
    VoidPayment,
)
from domain.saga import SagaState, decide, ended
from domain.types import now_utc
from tables.saga import sagas

log = logging.getLogger(__name__)
TIMEOUT = timedelta(seconds=settings.saga_timeout)
# orderId -> (deadline as epoch seconds, step) for the waiting sagas of this worker's partitions
deadlines: dict[str, tuple[float, str]] = {}


def watch(state: SagaState) -> None:
    if state.waiting and state.deadline is not None:
        deadlines[state.orderId] = (state.deadline.timestamp(), state.step)
    else:
        deadlines.pop(state.orderId, None)


@replays_alike  # its deadlines are events (OrderTimedOut): docs/liveness.md, cause 8
async def run_saga(parsed: Parsed) -> None:
    body = parsed.body
    assert isinstance(body, OrderMessage)
    state, now = sagas.get(body.orderId), now_utc()
    new, out = decide(state, parsed, now=now, timeout=TIMEOUT)
    if new is not None and new != state:
        if (outcome := ended(state, new)) and new.startedAt is not None:
            lasted = (now - new.startedAt).total_seconds()
            metrics.saga_duration.labels(outcome).observe(lasted)
            group_lag.sagas.ended(now.timestamp(), lasted)  # admission control's saga queue
        sagas.put(body.orderId, new)
        watch(new)
    for env in out:
        await send_envelope(env)


# What the saga sends (``follow-order-events`` declares it: ``@sends``)
SENDS = (
    ReserveStock,
    ReleaseStock,
    CommitStock,
    AuthorizePayment,
    VoidPayment,
    OrderConfirmed,
    OrderCancelled,
    OrderTimedOut,
)


group_lag.in_flight = deadlines.__len__  # the sagas waiting on this worker


@app.timer(settings.saga_tick)
async def expire_deadlines() -> None:
    """Deadlines fire even when no message arrives (``fire_due``)."""
    await fire_due(time.time())


async def fire_due(now: float) -> None:
    """One OrderTimedOut per expired step, with an id derived from (order, step), so a repeat is
    a no-op; the saga itself decides what it means. Read from the saga's state, not from the list
    of due deadlines taken at the start: the saga moves on while this awaits its sends, and a
    stale entry ("stock" expired) once overwrote and then dropped the fresh one ("payment" in
    30 s) — that order waited at STOCK_RESERVED for good (the kill loop, issue 17)."""
    for order_id in [o for o, (deadline, _) in deadlines.items() if deadline <= now]:
        entry = deadlines.get(order_id)
        if entry is None or entry[0] > now:  # re-armed or ended since the list was taken
            continue
        state = sagas.get(order_id)
        if state is None or not state.waiting or state.deadline is None:
            deadlines.pop(order_id, None)
            continue
        if state.deadline.timestamp() > now:  # a later step, watched from its own deadline
            watch(state)
            continue
        # Once per step: the event is on the broker once the send returns, and the saga will
        # decide it, however long its backlog (under overload the timer used to fire again every
        # ORDERS_SAGA_TIMEOUT s while the first one waited: 13,608 OrderTimedOut for ~5,000
        # orders, issue 16). A rebalance watches it again (``rewatch``): the same event id.
        deadlines.pop(order_id, None)
        timed_out = OrderTimedOut(
            orderId=order_id, userId=state.userId, step=state.step, deadline=state.deadline
        )
        event_id = envelope.derive_event_id(order_id, f"timeout/{state.step}")
        await send_envelope(envelope.build(timed_out, correlation_id=order_id, event_id=event_id))


@app.on_rebalance_complete.connect  # type: ignore[arg-type]  # mode's SignalHandlerT fits no function
async def rewatch(sender: Any, **kwargs: Any) -> None:
    """After a rebalance, watch exactly the waiting sagas of the partitions this worker owns."""
    mine = set(owned_partitions(sagas.table))
    deadlines.clear()
    for key, raw in sagas.table.items():
        if partition_for(key, settings.topic_partitions) in mine:
            watch(SagaState.model_validate_json(raw))
    log.info("watching %d saga deadlines", len(deadlines))
