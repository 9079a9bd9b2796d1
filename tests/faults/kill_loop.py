"""The operator's stress, on purpose and in a loop: two workers, the simulator at 150 orders/s,
five random ``kill -9`` of a worker's process group (kills early, during start-up and recovery
included), each restarted fast on the same data folder. Per run it reports the orders that did
not end, the commands waiting on each input partition with the group's committed offset, who
owns what, and what a stalled worker said it holds.

``python -m tests.faults.kill_loop --runs 20 [--cpus 0]`` runs it standalone on a broker it starts;
``make faults`` runs a few rounds, ``make soak`` twenty.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from localkafka.broker import Broker
from tests.faults.harness import TWO_WORKERS, Report, Traffic, finish, health_lines, started
from tests.support.system import System, Worker

INPUTS = ("orders.commands", "carts.events", "users.events", "inventory.commands",
          "payments.commands", "orders.events")  # fmt: skip


async def _group_offsets(system: System) -> dict[str, dict[int, tuple[int | None, int]]]:
    """``{topic: {partition: (committed or None, end)}}`` of the app's group, from the broker."""
    admin = AIOKafkaAdminClient(bootstrap_servers=system.bootstrap)
    await admin.start()
    try:
        committed = await admin.list_consumer_group_offsets(system.env["ORDERS_APP_ID"])
    finally:
        await admin.close()
    consumer = AIOKafkaConsumer(bootstrap_servers=system.bootstrap)
    await consumer.start()
    try:
        tps = [TopicPartition(system.topic(t), p) for t in INPUTS for p in range(3)]
        ends = await consumer.end_offsets(tps)
    finally:
        await consumer.stop()
    out: dict[str, dict[int, tuple[int | None, int]]] = {}
    for tp in tps:
        meta = committed.get(tp)
        name = tp.topic.removeprefix(system.prefix)
        out.setdefault(name, {})[tp.partition] = (meta.offset if meta else None, ends[tp])
    return out


def waiting(system: System) -> list[str]:
    """``topic/p committed=C end=E`` for every input partition with records not committed."""
    rows = []
    for topic, parts in asyncio.run(_group_offsets(system)).items():
        for p, (committed, end) in sorted(parts.items()):
            if (committed or 0) < end:
                rows.append(f"{topic}/{p} committed={committed} end={end}")
    return rows


def ownership(system: System) -> dict[str, Any]:
    """Per worker: assigned and stalled partitions (as /health says), or why it did not answer."""
    out: dict[str, Any] = {}
    for w in system.workers:
        try:
            body = w.get("/health", timeout=5).json()
            inputs = [p.removeprefix(system.prefix) for p in body["assignedPartitions"]
                      if not p.endswith("-changelog") and "__assignor" not in p]  # fmt: skip
            out[w.name] = {"assigned": inputs, "stalled": body.get("stalledPartitions", [])}
        except (httpx.HTTPError, ValueError, KeyError) as exc:
            out[w.name] = repr(exc)
    return out


class Supervisor:
    """Starts a worker again when it exits on its own (compose's ``restart``), as the watchdog
    expects; a worker the scenario kills is left to the scenario."""

    def __init__(self, system: System) -> None:
        self.system, self.lock, self.done = system, threading.Lock(), threading.Event()
        self.restarts = 0
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while not self.done.wait(1.0):
            with self.lock:
                for w in self.system.workers:
                    if w.proc is not None and w.proc.poll() is not None:
                        self.restarts += 1
                        w.start()

    @contextmanager
    def down(self, worker: Worker) -> Iterator[None]:
        with self.lock:
            worker.kill()
            yield
            worker.start()

    def stop(self) -> None:
        self.done.set()
        self.thread.join(5)


def run_once(broker: Broker, root: Path, seed: int, *, cpus: str | None = None,
             orders: int = 1500, kills: int = 5, drain: float = 900) -> Report:  # fmt: skip
    """One run; the report's ``lost`` names the orders that did not end and the partitions left
    with records waiting, ``notes`` what each worker owns and what a stalled one holds."""
    rng = random.Random(seed)
    settings = {**TWO_WORKERS, "ORDERS_STALL_TIMEOUT": "60"}
    system = started(System(broker.bootstrap, root, settings=settings, cpus=cpus))
    # 150 orders/s with cart events, sent whatever the backlog: the stress that found issue 17
    traffic = Traffic(orders=orders, seed=seed, rate=150 * 1.15, honour_backlog=False)
    sender = traffic.start(system)
    supervisor = Supervisor(system)
    try:
        time.sleep(rng.uniform(1.0, 4.0))  # the first kill lands during start-up traffic
        for _ in range(kills):
            with supervisor.down(rng.choice(system.workers)):
                time.sleep(rng.uniform(0.5, 3.0))
            time.sleep(rng.uniform(1.0, 6.0))
        assert sender.wait(600) == 0, Traffic.log(system)
        report = finish(Report(f"kill loop seed={seed}", notes={"kills": kills}), system,
                        traffic, timeout=drain)  # fmt: skip
        report.lost += [f"waiting: {row}" for row in waiting(system)]
        stalls = [line for w in system.workers for line in health_lines(w, "stalled")]
        report.lost += [f"stalled: {line}" for line in stalls]  # the watchdog is a safety net
        skipped = [line for w in system.workers for line in health_lines(w, "skipped_records")]
        report.notes["skippedRecords"] = len(skipped)  # caught before the first commit (cause 7)
        if report.lost:
            report.notes["owners"] = ownership(system)
            report.print()
        return report
    finally:
        supervisor.stop()
        if sender.poll() is None:
            sender.kill()
        system.stop_all()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--orders", type=int, default=1500)
    parser.add_argument("--cpus", default=None, help="pin the workers to these cores (taskset)")
    parser.add_argument("--keep", action="store_true", help="keep going after a failed run")
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="kill-loop-"))
    print(f"data in {root}", flush=True)
    failed = 0
    with Broker.isolated(root / "kafka") as broker:
        for run in range(args.runs):
            report = run_once(broker, root / f"run{run}", args.seed + run, cpus=args.cpus,
                              orders=args.orders)  # fmt: skip
            ok = not report.lost and not report.duplicated
            print(f"run {run + 1}/{args.runs}: {'ok' if ok else 'FAILED'} {report.line()}",
                  flush=True)  # fmt: skip
            if not ok:
                failed += 1
                if not args.keep:
                    break
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
