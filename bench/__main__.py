"""``python -m bench`` (``make bench``): one run, one broker, every rate beside raw aiokafka's;
prints a table per part and, last, one JSON line with every number."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench import anchors, hops, latency_runs, measure, overload, pipeline, targets
from bench.kafka import start_broker
from bench.latency_runs import HOP_RATES
from localkafka import Broker, ensure_jars

ANCHORS = ("raw_forward", "raw_stateful", "quix_stateful", "faust_forward_defaults",
           "faust_stateful_defaults", "faust_forward_ours", "faust_stateful_ours")  # fmt: skip


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    p.add_argument("--messages", type=int, default=200_000, help="backlog of the anchor jobs")
    p.add_argument("--jobs", default=",".join(ANCHORS), help="anchor jobs to run")
    p.add_argument("--orders", type=int, default=3000, help="orders of each pipeline run")
    p.add_argument("--workers", default="1,2", help="pipeline runs (latency runs on 2)")
    p.add_argument("--latency-seconds", type=float, default=10, help="per offered rate")
    p.add_argument("--parts", default="anchors,pipeline,latency,overload", help="what to measure")
    p.add_argument("--overload-seconds", type=float, default=30, help="per overload run")
    p.add_argument("--profile", action="store_true", help="py-spy folded stacks in the workdir")
    p.add_argument("--secure", action="store_true", help="SASL_SSL broker, clients as admin")
    p.add_argument("--workdir", type=Path, default=None, help="keep logs and data here")
    p.add_argument("--worker-env", action="append", default=[], metavar="NAME=VALUE",
                   help="a setting for the pipeline's workers, e.g. ORDERS_TABLE_CACHE_RECORDS=1 "
                   "(a flush per write: no record cache)")  # fmt: skip
    return p.parse_args(argv)


def table(title: str, header: list[str], rows: list[list[Any]]) -> None:
    cells = [header, *([str(c) for c in row] for row in rows)]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    print(f"\n{title}")
    for n, row in enumerate(cells):
        print("  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in
                        enumerate(zip(row, widths, strict=True))))  # fmt: skip
        if n == 0:
            print("  ".join("-" * w for w in widths))
    sys.stdout.flush()


def ratio(value: float, raw: float | None) -> float | None:
    return round(value / raw, 3) if raw else None


async def measure_anchors(bootstrap: str, args: argparse.Namespace, work: Path) -> dict[str, Any]:
    source = "bench.in"
    await measure.create_topics(bootstrap, [source])
    started = time.monotonic()
    await anchors.produce_backlog(bootstrap, source, args.messages)
    print(f"backlog: {args.messages:,} orders in {time.monotonic() - started:.1f}s", flush=True)
    # a throwaway run first: the broker's JIT and page cache warm up on nobody's clock
    await anchors.run_job("raw_forward", bootstrap, source, args.messages, work, timeout=300)
    results: dict[str, Any] = {}
    for name in args.jobs.split(","):
        run = await anchors.run_job(
            name, bootstrap, source, args.messages, work, timeout=1800, profile=args.profile
        )
        profiled = args.profile  # then the process measured is py-spy's, not the job's
        cpu_us = round(run.cpu_seconds / run.messages * 1e6, 1)
        results[name] = {
            "messagesPerSecond": round(run.rate),
            "cpuMicrosPerMessage": None if profiled else cpu_us,
            "peakRssMb": None if profiled else round(run.peak_rss_mb, 1),
            "outputVerified": run.verified,
        }
        print(f"  {name}: {run.rate:,.0f} msg/s", flush=True)
    raw = results.get("raw_forward", {}).get("messagesPerSecond")
    for r in results.values():
        r["vsRawForward"] = ratio(r["messagesPerSecond"], raw)
    table(
        f"Anchor jobs: {args.messages:,} JSON orders (~370 B, keyed by userId), 3 partitions, "
        "one process each, acks=all",
        ["job", "msg/s", "vs raw forward", "CPU µs/msg", "peak RSS MB", "output checked"],
        [
            [
                n,
                f"{r['messagesPerSecond']:,}",
                r["vsRawForward"],
                r["cpuMicrosPerMessage"],
                r["peakRssMb"],
                {True: "yes", False: "WRONG"}.get(r["outputVerified"], "-"),
            ]
            for n, r in results.items()
        ],
    )
    return results


def measure_pipeline(
    broker: Broker, args: argparse.Namespace, work: Path, raw: float | None
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    env = dict(item.split("=", 1) for item in args.worker_env)
    for n in sorted({int(w) for w in args.workers.split(",")}):
        system = pipeline.start(broker.bootstrap, work / f"pipeline-{n}", n, env)
        try:
            pipeline.load_shop(system, 100 + n)
            asyncio.run(pipeline.throughput(system, 50, seed=100 + n))  # warm-up
            pipeline.load_shop(system, 200 + n)
            run = asyncio.run(pipeline.throughput(
                system, args.orders, seed=200 + n, broker_pid=broker.pid(), profile=args.profile
            ))  # fmt: skip
            run["messagesVsRawForward"] = ratio(run["messagesPerSecond"], raw)
            out[f"workers{n}"] = run
            print(f"  pipeline, {n} worker(s): {run['ordersPerSecond']} orders/s, "
                  f"outcomes {run['outcomes']}", flush=True)  # fmt: skip
            if n == 2 and "latency" in args.parts:
                out |= latency_runs.measure(system, args.latency_seconds, profile=args.profile)
            if n == 2 and "overload" in args.parts:
                capacity = out["workers2"]["ordersPerSecond"]
                out["overload"] = overload.measure(
                    system, capacity, args.overload_seconds, admission=True, multiples=(2, 5)
                )
        finally:
            system.stop_all()
    if "overload" in out:  # the same at 5x without admission control: what it changes
        off = {**env, "ORDERS_ADMISSION_BACKLOG": "0"}
        system = pipeline.start(broker.bootstrap, work / "overload-off", 2, off)
        try:
            out["overload"] |= overload.measure(system, out["workers2"]["ordersPerSecond"],
                                                args.overload_seconds, admission=False,
                                                multiples=(5,))  # fmt: skip
        finally:
            system.stop_all()
    if "workers1" in out and "workers2" in out:
        one, two = out["workers1"]["ordersPerSecond"], out["workers2"]["ordersPerSecond"]
        out["scaling2vs1"] = ratio(two, one)
    table(
        "Pipeline: PlaceOrder → terminal status, saga included (msg/s: records written to the "
        "business topics)",
        [
            "workers",
            "orders",
            "orders/s",
            "msg/s",
            "vs raw forward",
            "CPU ms/order",
            "broker CPU ms/order",
            "machine busy",
            "peak RSS MB",
        ],
        [
            [
                k.removeprefix("workers"),
                v["orders"],
                v["ordersPerSecond"],
                f"{v['messagesPerSecond']:,}",
                v["messagesVsRawForward"],
                round(v["cpuSecondsPerOrder"] * 1000, 2),
                round(v["brokerCpuSecondsPerOrder"] * 1000, 2),
                f"{v['machineBusy']:.0%}",
                v["peakRssMbPerWorker"],
            ]
            for k, v in out.items()
            if k.startswith("workers")
        ],
    )
    if "scaling2vs1" in out:
        print(f"2 workers vs 1: {out['scaling2vs1']}x")
    written = [[k.removeprefix("workers"), *v["recordsPerOrder"].values(),
                v["deliveriesPerOrder"], v["commitIntervalSeconds"]]
               for k, v in out.items() if k.startswith("workers")]  # fmt: skip
    if written:
        kinds = list(next(v for k, v in out.items() if k.startswith("workers"))["recordsPerOrder"])
        table("Records written per order, by kind of topic (changelogs: after the last flush), "
              "and records delivered to the agents per order",
              ["workers", *kinds, "deliveries", "commit interval s"], written)  # fmt: skip
    latency = [[k.removeprefix("latency"), v["orders"], v["confirmed"], v["p50Ms"], v["p95Ms"],
                v["p99Ms"], v.get("workerCpuMsPerOrder") or "-", v["failed"] or "-"]
               for k, v in out.items() if k.startswith("latency")]  # fmt: skip
    if latency:
        table(
            "Latency POST /orders → CONFIRMED seen over HTTP, 2 workers, open loop",
            [
                "offered/s",
                "orders",
                "confirmed",
                "p50 ms",
                "p95 ms",
                "p99 ms",
                "worker CPU ms/order",
                "failed",
            ],
            latency,
        )
    if any(f"hops{rate}" in out for rate in HOP_RATES):
        per_hop = [[name, *(cell for rate in HOP_RATES for cell in _hop(out, rate, n))]
                   for n, name in enumerate(hops.HOPS)]  # fmt: skip
        if raw := out.get("rawHop"):  # the floor of a hop: bench/raw_hop.py
            per_hop.append([f"(plain aiokafka at {HOP_RATES[0]}/s: two legs)", raw["p50Ms"],
                            raw["p99Ms"], *["-"] * (3 * len(HOP_RATES) - 2)])  # fmt: skip
        table("Latency hop by hop, 2 workers: from one record of the order to the next, by "
              "the producers' record timestamps (ms); 'after write': the part after the "
              "deciding table's changelog record was sent (its ack, then the event's send)",
              ["hop", *(f"{s} at {r}/s" for r in HOP_RATES for s in ("p50", "p99",
                                                                      "after write"))],
              per_hop)  # fmt: skip
    if "overload" in out:
        table(f"Overload: POST /orders offered over HTTP for {args.overload_seconds:g} s at a "
              "multiple of the 2-worker capacity above, no retries; where each order ended",
              overload.HEADER, overload.rows(out["overload"]))  # fmt: skip
    return out


def _hop(out: dict[str, Any], rate: int, n: int) -> tuple[Any, Any, Any]:
    row = out.get(f"hops{rate}", [{}] * len(hops.HOPS))[n]
    return row.get("p50Ms", "-"), row.get("p99Ms", "-"), row.get("afterWriteP50Ms") or "-"


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    ensure_jars()
    work = args.workdir or Path(tempfile.mkdtemp(prefix="orders-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    parts = set(args.parts.split(","))
    report: dict[str, Any] = {"bench": "orders", "workdir": str(work)}
    broker = start_broker(work / "broker", secure=args.secure)
    print(f"broker {broker.bootstrap} (Kafka 4.1.1 KRaft, one node); logs in {work}", flush=True)
    try:
        if "anchors" in parts:
            report["anchors"] = asyncio.run(measure_anchors(broker.bootstrap, args, work))
        if parts & {"pipeline", "latency"}:
            raw = report.get("anchors", {}).get("raw_forward", {}).get("messagesPerSecond")
            report["pipeline"] = measure_pipeline(broker, args, work, raw)
    finally:
        broker.stop()
    table("Issue 16's targets, from this run", ["", "target", "measured", ""],
          targets.table_rows(report))  # fmt: skip
    print(json.dumps(report, separators=(",", ":")))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
