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

from app.faust_app import app, settings
from app.observability import health

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


def _readers() -> dict[int, str]:
    """id(channel) -> the agent whose running actor reads it."""
    out: dict[int, str] = {}
    for agent in app.agents.values():
        for aref in getattr(agent, "_actors", ()):
            stream = getattr(aref, "stream", None)
            if stream is not None:
                running = aref.actor_task is not None and not aref.actor_task.done()
                out[id(stream.channel)] = agent.name if running else f"{agent.name} (ended)"
    return out


def awaiting(name: str) -> list[str]:
    """Where each task running a coroutine called ``name`` waits: its chain of awaits."""
    chains = []
    for task in asyncio.all_tasks():
        coro: Any = task.get_coro()
        chain = []
        while coro is not None:
            frame = getattr(coro, "cr_frame", None) or getattr(coro, "ag_frame", None)
            if frame is None:
                chain.append(type(coro).__name__)
                break
            chain.append(f"{frame.f_code.co_qualname}:{frame.f_lineno}")
            coro = getattr(coro, "cr_await", None) or getattr(coro, "ag_await", None)
        if any(step.split(":")[0].endswith(name) for step in chain):
            chains.append(" > ".join(chain[-8:]))
    return chains


def _client_state(tp: TP) -> dict[str, Any]:
    """aiokafka's view of ``tp`` (its fetcher runs in the consumer's thread; read, not changed)."""
    try:
        client = app.consumer._thread._consumer
        assignment = client._subscription.subscription.assignment
        state = assignment.state_value(tp) if assignment is not None else None
        buffered = client._fetcher._records.get(tp)
    except Exception as exc:  # diagnostics only
        return {"client": repr(exc)}
    if state is None:
        return {"client": "not assigned"}
    return {
        "position": state._position,
        "clientPaused": state.paused,
        "awaitingReset": state.awaiting_reset,
        "fetchedNotReturned": type(buffered).__name__ if buffered is not None else None,
        "fetchedAge": round(time.monotonic() - buffered._created, 1) if buffered else None,
        "fetchedFrom": getattr(getattr(buffered, "_partition_records", None),
                               "next_fetch_offset", None),
        "inFaustFetchSet": tp in (app.consumer._active_partitions or ()),
    }  # fmt: skip


def _chain(coro: Any) -> str:
    steps = []
    while coro is not None:
        frame = getattr(coro, "cr_frame", None) or getattr(coro, "ag_frame", None)
        if frame is None:
            steps.append(type(coro).__name__)
            break
        steps.append(f"{frame.f_code.co_qualname}:{frame.f_lineno}")
        coro = getattr(coro, "cr_await", None) or getattr(coro, "ag_await", None)
    return " > ".join(steps[-8:])


def full_queues() -> list[dict[str, Any]]:
    """Every agent queue the conductor delivers to that is (nearly) full, and who reads it."""
    readers = _readers()
    return [
        {"topic": ",".join(chan.topics), "reader": readers.get(id(chan), "none"),
         "queued": chan.queue.qsize(), "max": chan.queue.maxsize}
        for chan in list(app.topics._topics)
        if hasattr(chan, "queue") and chan.queue.maxsize
        and chan.queue.qsize() >= chan.queue.maxsize * 0.8
    ]  # fmt: skip


def agents_waiting() -> dict[str, list[str]]:
    """Where each agent's actors wait now."""
    return {
        agent.name: [_chain(getattr(aref, "it", None)) for aref in agent._actors]
        for agent in app.agents.values()
    }  # fmt: skip


def all_tasks(loop: asyncio.AbstractEventLoop | None = None) -> dict[str, int]:
    """Every task's chain of awaits, counted (a diagnosis of a stall)."""
    counts: dict[str, int] = {}
    try:
        tasks = list(asyncio.all_tasks(loop))
    except RuntimeError as exc:  # another thread's loop changed while read
        return {repr(exc): 1}
    for task in tasks:
        chain = f"{type(task.get_coro()).__name__}: {_chain(task.get_coro())}"
        counts[chain] = counts.get(chain, 0) + 1
    return counts


def held(tp: TP) -> dict[str, Any]:
    """What Faust holds for ``tp``: read offset, fetch state, each queue it is delivered to and
    which running agent (if any) reads that queue."""
    consumer = app.consumer
    readers = _readers()
    channels = app.topics._tp_index.get(tp, set())
    handler = app.topics._tp_to_callback.get(tp)
    delivered_to = getattr(handler, "channels", None)
    queues = [
        {"reader": readers.get(id(chan), "none"), "queued": chan.queue.qsize()}
        for chan in (delivered_to if delivered_to is not None else channels)
        if hasattr(chan, "queue")
    ]
    return {
        "handlerUpToDate": delivered_to is channels,
        "readOffset": consumer._read_offset.get(tp),
        "active": tp in (consumer._active_partitions or ()),
        "paused": tp in consumer._paused_partitions,
        "buffered": tp in consumer._buffered_partitions,
        "acked": len(consumer._acked.get(tp, ())),
        "queues": queues,
        "flowActive": consumer.flow_active,
        "appFlowActive": app.flow_control.is_active(),
        "fetchLoop": awaiting("_drain_messages"),
        "fullQueues": full_queues(),
        "agents": agents_waiting(),
        **_client_state(tp),
        "generation": app.consumer_generation_id,
    }


async def check() -> None:
    """One check of every owned input partition; stalls are recorded, then acted on."""
    if app.rebalancing or not app.tables.recovery.completed.is_set():
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
