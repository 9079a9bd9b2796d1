"""A partition a worker owns but no longer reads: found, and the worker steps out of the group.

Under rapid rebalances (the fault harness: 20 ``kill -9`` in 80 s) Faust once left a worker that
owned ``orders.commands`` partition 2 never fetching it: the group was stable, the worker healthy
and idle, 1,939 commands waited, and nothing would ever have moved them (a restart of that worker
did). The cause is inside Faust's fetcher bookkeeping (faust-streaming #629 reports the same
symptom); rather than patch it blind, every ``ORDERS_STALL_CHECK`` seconds each owned input
partition's read position is compared with its end: one that has records waiting and has not
moved for ``ORDERS_STALL_TIMEOUT`` seconds, outside a rebalance, stops the worker with an error
(a health line says which). Its partitions then go to the other workers at once, and a
supervisor (compose's ``restart``) starts it again from its state on disk.
"""

from __future__ import annotations

import asyncio
import logging
import time

from faust.types import TP

from app.faust_app import app, settings
from app.observability import health

log = logging.getLogger(__name__)
_seen: dict[TP, tuple[int, float]] = {}  # tp -> (position, since when it has not moved)


def stalled(tp: TP, position: int, end: int, now: float) -> float:
    """Seconds ``tp`` has had records waiting at the same position (0 when it moves or is done)."""
    if position >= end:
        _seen.pop(tp, None)
        return 0.0
    before = _seen.get(tp)
    if before is None or before[0] != position:
        _seen[tp] = (position, now)
        return 0.0
    return now - before[1]


@app.timer(settings.stall_check)
async def watch_partitions() -> None:
    if app.rebalancing or not app.tables.recovery.completed.is_set():
        _seen.clear()
        return
    consumer = app.consumer
    changelogs = app.tables.changelog_topics
    owned = [tp for tp in app.assignor.assigned_actives() if tp.topic not in changelogs]
    if not owned:
        return
    try:
        ends = await asyncio.wait_for(consumer.highwaters(*owned), 10)
        positions = {tp: await asyncio.wait_for(consumer.position(tp), 5) for tp in owned}
    except Exception as exc:  # the broker unreachable: not this check's business
        log.info("partition watchdog skipped: %r", exc)
        return
    now = time.monotonic()
    for tp in owned:
        position, end = positions.get(tp), ends.get(tp)
        if position is None or end is None:
            continue
        idle = stalled(tp, position, end, now)
        if idle >= settings.stall_timeout:
            detail = f"{tp.topic}/{tp.partition} at {position} of {end}, not read for {idle:.0f} s"
            health("stalled", partition=f"{tp.topic}/{tp.partition}", position=position,
                   end=end, seconds=round(idle))  # fmt: skip
            log.error("stopping the worker: %s", detail)
            await app.crash(RuntimeError(f"partition stalled: {detail}"))
            return
