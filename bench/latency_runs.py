"""The latency part of ``make bench``: POST → CONFIRMED at each offered rate on two workers, the
hops of one order at ``HOP_RATES``, and what each confirmed order cost the workers in CPU at that
rate (one order at a time costs more than one in a backlog: nothing shares a fetch, a flush or
a commit with it)."""

from __future__ import annotations

import asyncio
import signal
from typing import Any

from bench import hops, overload, pipeline, raw_hop
from bench.measure import cpu_seconds
from tests.support.system import System

HOP_RATES = (10, 100)  # the per-hop table's rates (issue 16, direction 4)
RATES = (10, 100, 500)
PROFILED = 100  # the rate ``--profile`` records the workers at


def measure(system: System, seconds: float, profile: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {}
    # warm-up: the first second of HTTP traffic (connections, first reads) is slow
    asyncio.run(pipeline.latency(system.workers, 20, 3))
    out["rawHop"] = asyncio.run(raw_hop.measure(system.bootstrap, rate=HOP_RATES[0]))
    pids = [w.proc.pid for w in system.workers if w.proc]
    for rate in RATES:
        asyncio.run(overload.quiet(system.workers))  # not the backlog of a run before
        since, marks = asyncio.run(hops.ends(system)), hops.Marks()
        spies = [pipeline.profiler(w.proc.pid, system.root / f"{w.name}-latency{rate}.folded")
                 for w in system.workers if w.proc and profile and rate == PROFILED]  # fmt: skip
        cpu0 = sum(cpu_seconds(p) for p in pids)
        lat = asyncio.run(pipeline.latency(system.workers, rate, seconds, marks=marks))
        # the workers' CPU until the last outcome: what the run cost them, per order confirmed
        cpu = sum(cpu_seconds(p) for p in pids) - cpu0
        ok = lat["confirmed"] and not spies  # py-spy's pauses are not the workers' cost
        lat["workerCpuMsPerOrder"] = round(cpu / lat["confirmed"] * 1000, 2) if ok else None
        for spy in spies:  # py-spy writes its folded stacks on SIGINT
            spy.send_signal(signal.SIGINT)
            spy.wait(30)
        out[f"latency{rate}"] = lat
        print(f"  latency at {rate}/s: {lat}", flush=True)
        if rate in HOP_RATES:
            out[f"hops{rate}"] = hops.measure(system, marks, since)
    return out
