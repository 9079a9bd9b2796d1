"""What a worker holds for a stalled partition, written with the watchdog's health line: Faust's
read offset and fetch sets, the client's buffered fetch, each queue it is delivered to and who
reads it, where the fetch loop and every agent wait. Read-only looks at Faust's and aiokafka's
private state, kept apart so the watchdog stays a clock; issue 17's cause was found with it."""

from __future__ import annotations

import asyncio
import time
from typing import Any, cast

from faust.types import TP

from app.application import app

# Faust's and aiokafka's private state, read only: typed as what it is to us, unknown


def _faust() -> tuple[Any, Any]:
    """(consumer, conductor) as untyped objects: these looks read their private fields."""
    return cast(Any, app.consumer), cast(Any, app.topics)


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
    chains = (_chain(task.get_coro(), keep=99) for task in asyncio.all_tasks())
    return [" > ".join(c.split(" > ")[-8:]) for c in chains
            if any(step.split(":")[0].endswith(name) for step in c.split(" > "))]  # fmt: skip


def _client_state(tp: TP) -> dict[str, Any]:
    """aiokafka's view of ``tp`` (its fetcher runs in the consumer's thread; read, not changed)."""
    try:
        client = _faust()[0]._thread._consumer
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
        "inFaustFetchSet": tp in (_faust()[0]._active_partitions or ()),
    }  # fmt: skip


def _chain(coro: Any, keep: int = 8) -> str:
    """``coroutine:line > awaited:line > …`` down to what it waits on."""
    steps = []
    while coro is not None:
        frame = (getattr(coro, "cr_frame", None) or getattr(coro, "ag_frame", None)
                 or getattr(coro, "gi_frame", None))  # fmt: skip
        if frame is None:
            steps.append(type(coro).__name__)
            break
        steps.append(f"{frame.f_code.co_qualname}:{frame.f_lineno}")
        if frame.f_code.co_qualname == "Started.__await__":  # a handler begun inline: its rest
            coro = frame.f_locals.get("coro")
            continue
        coro = getattr(coro, "cr_await", None) or getattr(coro, "ag_await", None)
    return " > ".join(steps[-keep:])


def full_queues() -> list[dict[str, Any]]:
    """Every agent queue the conductor delivers to that is (nearly) full, and who reads it."""
    readers = _readers()
    return [
        {"topic": ",".join(chan.topics), "reader": readers.get(id(chan), "none"),
         "queued": chan.queue.qsize(), "max": chan.queue.maxsize}
        for chan in list(_faust()[1]._topics)
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
    consumer = _faust()[0]
    readers = _readers()
    channels = _faust()[1]._tp_index.get(tp, set())
    handler = _faust()[1]._tp_to_callback.get(tp)
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
