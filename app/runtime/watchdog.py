"""Liveness from what the agents finish: an owned input partition whose *committed* offset has not
moved for ``ORDERS_STALL_TIMEOUT`` while records wait past it is stalled. ``/health`` then answers
503 naming it, a health line says so (with what Faust holds for it), the gauge
``orders_partition_stalled_seconds`` shows it, and after one more check the worker stops, so the
group gives its partitions to the others and a supervisor starts it again from its disk.

It measures the committed offset, not the fetch position: a record the fetcher took but no agent
finished (dropped between the fetcher and an agent, or held by an agent that never returns) moves
the fetch position and nothing else, and looked "read" to the position-based check this replaces.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, field
from typing import Any

from faust.types import TP

from app.application import app
from app.observability.logs import health
from app.runtime.assignment import unsettled
from app.runtime.stalls import all_tasks, held
from app.settings import settings

log = logging.getLogger(__name__)


@dataclass
class Progress:
    """Per owned input partition: the committed offset seen last, and since when it is that."""

    seen: dict[TP, tuple[int, float]] = field(default_factory=dict)
    stalled: dict[TP, dict[str, Any]] = field(default_factory=dict)  # tp -> what /health says

    def observe(self, tp: TP, committed: int, end: int, now: float) -> float:
        """Seconds ``tp`` has had records waiting past the same committed offset (0: moving or
        caught up)."""
        if committed >= end:
            self.seen.pop(tp, None)
            return 0.0
        before = self.seen.get(tp)
        if before is None or before[0] != committed:
            self.seen[tp] = (committed, now)
            return 0.0
        return now - before[1]

    def reset(self) -> None:
        self.seen.clear()
        self.stalled.clear()


progress = Progress()


def stalled_partitions() -> list[str]:
    """``topic/partition`` of every stalled partition (``/health`` names them)."""
    return sorted(f"{tp.topic}/{tp.partition}" for tp in progress.stalled)


def stall_seconds() -> dict[TP, float]:
    """Seconds each owned input partition has not moved with records waiting (the gauge)."""
    now = time.monotonic()
    return {tp: now - since for tp, (_, since) in progress.seen.items()}


def owned_inputs() -> list[TP]:
    changelogs = app.tables.changelog_topics
    return [tp for tp in app.assignor.assigned_actives() if tp.topic not in changelogs]


def committed_offsets(tps: list[TP]) -> dict[TP, int | None]:
    """What this worker committed (or found committed at its assignment) per partition."""
    known = app.consumer._committed_offset  # Faust's own record, updated on every commit
    return {tp: known.get(tp) for tp in tps}


async def check() -> None:
    """One check of every owned input partition; stalls are recorded, then acted on."""
    if unsettled():
        progress.reset()  # a rebalance restarts every clock
        return
    owned = owned_inputs()
    if not owned:
        progress.reset()
        return
    consumer = app.consumer
    try:
        ends = await asyncio.wait_for(consumer.highwaters(*owned), 10)
        begins = await asyncio.wait_for(consumer.earliest_offsets(*owned), 10)
    except Exception as exc:  # the broker unreachable: not this check's business
        log.info("partition watchdog skipped: %r", exc)
        return
    now = time.monotonic()
    for tp, committed in committed_offsets(owned).items():
        end = ends.get(tp)
        if end is None:
            continue
        start = committed if committed is not None else begins.get(tp, 0) or 0
        idle = progress.observe(tp, start, end, now)
        if idle >= settings.stall_timeout and tp not in progress.stalled:
            detail = {"committed": committed, "end": end, "seconds": round(idle), **held(tp)}
            if not progress.stalled:
                thread_loop = getattr(app.consumer._thread, "thread_loop", None)
                health("stalled_tasks", tasks=all_tasks(),
                       consumerThread=all_tasks(thread_loop) if thread_loop else None)  # fmt: skip
            progress.stalled[tp] = detail
            health("stalled", partition=f"{tp.topic}/{tp.partition}", **detail)
            log.error("partition %s/%s stalled: %s", tp.topic, tp.partition, detail)
        elif idle < settings.stall_timeout:
            progress.stalled.pop(tp, None)


@app.timer(settings.stall_check)
async def watch_partitions() -> None:
    """A stall found at the previous check (so ``/health`` said 503 meanwhile) stops the worker."""
    if progress.stalled:
        names = ", ".join(stalled_partitions())
        health("leaving", reason="stalled", partitions=stalled_partitions())
        log.error("stopping the worker: partitions stalled: %s", names)
        await app.crash(RuntimeError(f"partitions stalled: {names}"))
        return
    await check()
