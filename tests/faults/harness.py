"""The fault harness: real brokers, real worker processes, the simulator, and the bookkeeping that
says afterwards what was sent, what reached a terminal status, what was lost or done twice."""

from __future__ import annotations

import asyncio
import contextlib
import subprocess
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import orjson

from app.adapters.readall import read_all
from domain import scenario
from domain.messages import PlaceOrder, RestockItem
from domain.order_status import TERMINAL
from tests.faults.reads import any_worker, pages, statuses, through_rebalance
from tests.support.system import REPO, System, Worker

TERMINAL_EVENTS = {"OrderConfirmed", "OrderCancelled", "OrderRejected"}


@dataclass
class Traffic:
    """What ``faust -A app simulate`` sends for a seed: the orders, and the stock it adds."""

    orders: int
    seed: int
    users: int = 200
    rate: float = 600.0  # messages/s: ~520 orders/s and the cart events (1.15 per order)
    honour_backlog: bool = True  # hold orders back as the edge would (admission control)

    def order_ids(self) -> list[str]:
        steps = scenario.orders(self.orders, seed=self.seed, users=self.users)
        return [s.message.orderId for s in steps if isinstance(s.message, PlaceOrder)]

    def restocked(self) -> dict[str, int]:
        return {
            m.sku: m.quantity
            for m in scenario.setup(self.seed, self.users)
            if isinstance(m, RestockItem)
        }

    def start(self, system: System) -> subprocess.Popen[bytes]:
        args = ["simulate", "--orders", str(self.orders), "--rate", str(self.rate),
                "--seed", str(self.seed), "--users", str(self.users), "--settle", "3",
                *([] if self.honour_backlog else ["--ignore-backlog"])]  # fmt: skip
        with (system.root / "simulate.log").open("ab") as log:  # a pipe would fill and block it
            return subprocess.Popen(
                [sys.executable, "-m", "faust", "-A", "app", *args], cwd=REPO, env=system.env,
                stdout=log, stderr=subprocess.STDOUT,
            )  # fmt: skip

    @staticmethod
    def log(system: System) -> str:
        return (system.root / "simulate.log").read_text(errors="replace")[-3000:]


@dataclass
class Report:
    scenario: str
    sent: int = 0
    terminal: int = 0
    lost: list[str] = field(default_factory=list)
    duplicated: list[str] = field(default_factory=list)  # effects that happened twice
    drain_seconds: float | None = None
    notes: dict[str, Any] = field(default_factory=dict)

    def line(self) -> str:
        drain = "never" if self.drain_seconds is None else f"{self.drain_seconds:.1f}s"
        notes = " ".join(f"{k}={v}" for k, v in self.notes.items())
        counts = f"lost={len(self.lost)} duplicated={len(self.duplicated)} drain={drain}"
        return f"[{self.scenario}] sent={self.sent} terminal={self.terminal} {counts} {notes}"

    def print(self) -> None:
        print("\n" + self.line(), flush=True)
        for what in (*self.lost[:5], *self.duplicated[:10]):
            print(f"    {what}", flush=True)


def drain(system: System, expected: list[str], timeout: float) -> tuple[float | None, dict]:
    """Wait until every expected order is terminal; (seconds it took or None, last statuses)."""
    started, seen = time.monotonic(), {}
    while time.monotonic() - started < timeout:
        try:
            seen = statuses(any_worker(system, wait=0))
        except (httpx.HTTPError, RuntimeError):
            time.sleep(1)
            continue
        if all(seen.get(o, {}).get("status") in TERMINAL for o in expected):
            return time.monotonic() - started, seen
        time.sleep(2)
    return None, seen


def terminal_events(system: System) -> dict[str, set[str]]:
    """orderId -> the distinct eventIds of its terminal events on orders.events."""
    records = asyncio.run(read_all(system.bootstrap, [system.topic("orders.events")]))
    out: dict[str, set[str]] = defaultdict(set)
    for r in records:
        try:
            env = orjson.loads(r.value)
        except orjson.JSONDecodeError:
            continue
        if isinstance(env, dict) and env.get("eventType") in TERMINAL_EVENTS:
            out[env["data"]["orderId"]].add(env["eventId"])
    return out


def check(report: Report, system: System, traffic: Traffic, seen: dict[str, dict]) -> None:
    """Fill the report: lost orders, orders with two endings, the stock invariant, replay."""
    expected = traffic.order_ids()
    report.sent = len(expected)
    report.terminal = sum(seen.get(o, {}).get("status") in TERMINAL for o in expected)
    report.notes["cancelled"] = sum(seen.get(o, {}).get("status") == "CANCELLED" for o in expected)
    held = [line for line in Traffic.log(system).splitlines() if "held back" in line]
    report.notes["simulator"] = held[-1].split(":", 1)[1].strip() if held else "held none back"
    report.lost = [f"not terminal: {o} ({seen.get(o, {}).get('status')})" for o in expected
                   if seen.get(o, {}).get("status") not in TERMINAL]  # fmt: skip
    endings = terminal_events(system)
    report.duplicated += [f"{o}: {len(ids)} terminal events" for o, ids in endings.items()
                          if len(ids) > 1]  # fmt: skip
    w = any_worker(system)
    sold: Counter[str] = Counter()
    for o in expected:
        if seen.get(o, {}).get("status") == "CONFIRMED":
            for item in seen[o]["details"]["items"]:
                sold[item["sku"]] += item["quantity"]
    for sku, added in traffic.restocked().items():
        resp = through_rebalance(w, f"/inventory/{sku}")
        if resp.status_code != 200:
            report.duplicated.append(f"stock {sku}: {resp.status_code} {resp.text[:200]}")
            continue
        level = resp.json()
        books = (level["available"], level["reserved"], level["sold"])
        if level["available"] + level["reserved"] + level["sold"] != added or level["reserved"]:
            report.duplicated.append(f"stock {sku}: {books} for {added} restocked")
        if level["sold"] != sold[sku]:
            report.duplicated.append(f"stock {sku}: sold {level['sold']} != {sold[sku]} confirmed")
    totals = sum(i["ordersPlaced"] + i["ordersRejected"] for i in pages(w, "/aggregates").values())
    statuses_total = len([o for o in expected if o in seen])
    if totals != statuses_total:
        report.duplicated.append(f"user totals count {totals} orders, {statuses_total} exist")
    proc = subprocess.run(
        [sys.executable, "-m", "faust", "-A", "app", "replay", "--output",
         str(system.root / "replay.json"), "--compare", w.url, "--quiet"],
        cwd=REPO, env=system.env, capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    twice, audited = reprocessed(system)
    report.notes["reprocessed"] = f"{twice}/{audited}"
    report.notes["replay"] = "same" if proc.returncode == 0 else "DIFFERENT"
    if proc.returncode != 0:
        report.duplicated.append(f"replay --compare: {proc.stderr.strip()[-1500:]}")


TWO_WORKERS = {"ORDERS_HEALTH_INTERVAL": "5"}


def started(system: System, count: int = 2) -> System:
    """Topics created, ``count`` workers started and ready."""
    system.create_topics()
    for _ in range(count):
        system.start_worker()
    for w in system.workers:
        w.wait_ready(120)
    return system


def finish(report: Report, system: System, traffic: Traffic, timeout: float = 900) -> Report:
    """Drain, check, print."""
    seconds, seen = drain(system, traffic.order_ids(), timeout)
    report.drain_seconds = seconds
    check(report, system, traffic, seen)
    report.print()
    return report


def reprocessed(system: System) -> tuple[int, int]:
    """(records audited more than once, records audited): a record is audited by the agent that
    owns its topic each time it is handled, so a repeat is a record handled again after a
    restart or a rebalance (redelivered from the last committed offset)."""
    seen: Counter[tuple[str, int, int]] = Counter()
    for w in system.workers:
        for line in w.audit_lines():
            a = orjson.loads(line)
            seen[(a["topic"], a["partition"], a["offset"])] += 1
    return sum(1 for n in seen.values() if n > 1), len(seen)


def health_lines(w: Worker, event: str) -> list[dict[str, Any]]:
    path = w.datadir / "health.jsonl"
    lines = [line for line in path.read_text().split("\n") if line] if path.exists() else []
    return [d for d in map(orjson.loads, lines) if d.get("event") == event]


@contextlib.contextmanager
def under_load(system: System, traffic: Traffic) -> Iterator[Callable[[], None]]:
    """The simulator running; yields ``sent()``, which waits until it has sent everything (or
    fails with its output). On the way out the simulator and the workers are killed."""
    sender = traffic.start(system)

    def sent() -> None:  # held back by the backlog, it sends at the pace the workers go
        assert sender.wait(1800) == 0, Traffic.log(system)

    try:
        yield sent
    finally:
        if sender.poll() is None:
            sender.kill()
        system.stop_all()


def mid_stream(
    system: System, traffic: Traffic, scenario: str, fault: Callable[[], dict[str, Any]]
) -> Report:
    """Run ``fault`` once orders flow (after the simulator's setup and settle), let the simulator
    finish, drain, check; the report's notes get what ``fault`` returns and how many workers
    are still alive."""
    with under_load(system, traffic) as sent:
        time.sleep(8)
        notes = fault()
        sent()
        report = finish(Report(scenario, notes=notes), system, traffic)
        alive = sum(1 for w in system.workers if w.proc and w.proc.poll() is None)
        report.notes["workers_alive"] = alive
    return report
