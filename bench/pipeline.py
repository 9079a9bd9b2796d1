"""The whole order system on real workers: orders/s to a terminal status, and HTTP latency.

Throughput: a backlog-free start, then ``orders`` PlaceOrder commands (the simulator's mix minus
the gateway outage, whose orders wait for the saga deadline by design) as fast as a producer can
send them; the rate counts from the first command to the last terminal event on orders.events.
Latency: open-loop ``POST /orders`` at a fixed rate, each followed by status long-polls until the
order is CONFIRMED; measured from the moment the request was due (no coordinated omission).
"""

from __future__ import annotations

import asyncio
import signal
import statistics
import subprocess
import sys
import time
from collections import Counter
from contextlib import aclosing
from functools import partial
from pathlib import Path
from typing import Any

import aiohttp
from aiokafka import AIOKafkaProducer

from bench import written
from bench.endings import terminal_events
from bench.hops import Marks
from bench.kafka import options
from bench.measure import Offsets, cpu_seconds, machine_jiffies, peak_rss_mb
from domain import envelope, scenario
from domain.messages import Message, PlaceOrder
from tests.support.system import System, Worker, eventually

SEED, USERS = 11, 200


def _record(system: System, body: Message) -> tuple[str, bytes, bytes]:
    env = envelope.build(body, correlation_id=getattr(body, "orderId", None))
    return system.topic(body.stream), envelope.key_of(body).encode(), envelope.dumps(env)


async def _send_all(bootstrap: str, records: list[tuple[str, bytes, bytes]]) -> None:
    producer = AIOKafkaProducer(**options(), bootstrap_servers=bootstrap, acks="all", linger_ms=5,
                                enable_idempotence=True)  # fmt: skip
    await producer.start()
    try:
        futures = [await producer.send(t, v, key=k) for t, k, v in records]
        await asyncio.gather(*futures)
    finally:
        await producer.stop()


def start(bootstrap: str, root: Path, workers: int, env: dict[str, str]) -> System:
    """A deployment with its own topics, ``workers`` workers, customers and catalog loaded."""
    system = System(bootstrap, root)
    system.create_topics()
    for _ in range(workers):
        system.start_worker(**env)
    for w in system.workers:
        w.wait_ready(120)
    load_shop(system, SEED)
    return system


def load_shop(system: System, seed: int) -> None:
    """The customers and the catalog of ``seed``, visible to every worker."""
    setup = [_record(system, m) for m in scenario.setup(seed, USERS)]
    asyncio.run(_send_all(system.bootstrap, setup))
    first = system.workers[0]
    for n in range(USERS):
        eventually(partial(_registered, first, scenario.user_id(seed, n)), 60)
    for w in system.workers:
        eventually(partial(_priced, w), 60)


def _registered(worker: Worker, user: str) -> bool:
    return bool(worker.get(f"/users/{user}").status_code == 200)


def _priced(worker: Worker) -> bool:
    return len(worker.get("/catalog").json()["items"]) >= 7


async def _terminal_watch(system: System, order_ids: set[str], ready: asyncio.Event,
                          outcomes: Counter[str], timeout: float) -> float:  # fmt: skip
    """Until every order has a terminal event; returns the moment the last one arrived."""
    left, deadline = set(order_ids), time.monotonic() + timeout
    async with aclosing(terminal_events(system, ready)) as batches:
        async for batch in batches:
            for order_id, kind in batch:
                if order_id in left:
                    left.discard(order_id)
                    outcomes[kind] += 1
            if not left or time.monotonic() >= deadline:
                break
    if left:
        raise TimeoutError(f"{len(left)} of {len(order_ids)} orders not terminal in {timeout}s")
    return time.monotonic()


def profiler(pid: int, out: Path) -> subprocess.Popen[bytes]:
    spy = str(Path(sys.executable).parent / "py-spy")
    cmd = [spy, "record", "-r", "200", "--format", "raw", "-o", str(out), "--pid", str(pid)]
    return subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


async def throughput(system: System, orders: int, seed: int, broker_pid: int | None = None,
                     profile: bool = False) -> dict[str, Any]:  # fmt: skip
    steps = [s for s in scenario.orders(orders + orders // 10, seed=seed, users=USERS)
             if s.intent != "gateway_down"]  # fmt: skip
    places = [s.message for s in steps if isinstance(s.message, PlaceOrder)][:orders]
    wanted = {p.orderId for p in places}
    records = [
        _record(system, s.message)
        for s in steps
        if not isinstance(s.message, PlaceOrder) or s.message.orderId in wanted
    ]
    pids = [w.proc.pid for w in system.workers if w.proc]
    traffic = Offsets(system.bootstrap, written.business_topics(system))
    await traffic.start()
    kinds = await written.faust_topics(system)
    faust_topics = {kind: Offsets(system.bootstrap, names) for kind, names in kinds.items()}
    for offsets in faust_topics.values():
        await offsets.start()
    faust0 = {k: await o.total() for k, o in faust_topics.items()}
    ready = asyncio.Event()
    outcomes: Counter[str] = Counter()
    watch = asyncio.create_task(_terminal_watch(system, wanted, ready, outcomes, timeout=900))
    await ready.wait()
    msgs0, cpu0, t0 = await traffic.total(), sum(cpu_seconds(p) for p in pids), time.monotonic()
    broker0, (busy0, all0) = cpu_seconds(broker_pid) if broker_pid else 0.0, machine_jiffies()
    delivered0 = await written.deliveries(system.workers)
    spies = [profiler(w.proc.pid, system.root / f"{w.name}.folded")
             for w in system.workers if w.proc and profile]  # fmt: skip
    await _send_all(system.bootstrap, records)
    sent = time.monotonic()
    done = await watch
    for spy in spies:  # py-spy writes its folded stacks on SIGINT
        spy.send_signal(signal.SIGINT)
        spy.wait(30)
    msgs = await traffic.total() - msgs0
    delivered = await written.deliveries(system.workers) - delivered0
    cpu = sum(cpu_seconds(p) for p in pids) - cpu0
    broker_cpu = (cpu_seconds(broker_pid) if broker_pid else 0.0) - broker0
    busy1, all1 = machine_jiffies()
    await traffic.stop()
    await asyncio.sleep(written.commit_interval(system) + 1)  # the last flush of the tables' cache
    faust_written = {k: await o.total() - faust0[k] for k, o in faust_topics.items()}
    for offsets in faust_topics.values():
        await offsets.stop()
    seconds = done - t0
    return {
        "orders": len(places),
        "outcomes": dict(outcomes),
        "ordersPerSecond": round(len(places) / seconds, 1),
        "messagesPerSecond": round(msgs / seconds),
        "messages": msgs,
        "recordsPerOrder": {
            "business": round(msgs / len(places), 2),
            **{k: round(n / len(places), 2) for k, n in faust_written.items()},
        },
        "deliveriesPerOrder": round(delivered.total() / len(places), 2),  # to the agents
        "deliveriesPerOrderByStream": {k: round(n / len(places), 2) for k, n in delivered.items()},
        "commitIntervalSeconds": written.commit_interval(system),
        "seconds": round(seconds, 2),
        "sendSeconds": round(sent - t0, 2),
        "cpuSecondsPerOrder": round(cpu / len(places), 5),
        "brokerCpuSecondsPerOrder": round(broker_cpu / len(places), 5),
        "machineBusy": round((busy1 - busy0) / max(1, all1 - all0), 3),
        "peakRssMbPerWorker": [round(peak_rss_mb(p), 1) for p in pids],
    }


async def _one_order(session: aiohttp.ClientSession, url: str, user: str, due: float,
                     timeout: float, marks: Marks) -> float | str:  # fmt: skip
    body = {"userId": user, "items": [{"sku": "sku-cable", "quantity": 1}], "currency": "EUR"}
    deadline = due + timeout
    posted = time.time()
    async with session.post(url + "/orders", json=body) as resp:
        if resp.status != 202:
            return f"POST {resp.status}"
        order_id = (await resp.json())["orderId"]
    while (left := deadline - time.monotonic()) > 0:
        wait = {"wait": f"{min(left, 10):.1f}", "until": "terminal"}
        async with session.get(f"{url}/orders/{order_id}/status", params=wait) as resp:
            if resp.status == 200:
                status = str((await resp.json())["status"])
                if status == "CONFIRMED":
                    marks[order_id] = (posted, time.time())
                    return time.monotonic() - due
                if status in ("CANCELLED", "REJECTED"):
                    return status
            elif resp.status not in (404, 503):
                return f"GET {resp.status}"
            else:  # not there yet, or the owner is moving: as the server asks, within reason
                await asyncio.sleep(min(float(resp.headers.get("Retry-After", 0.05)), 1.0))
    return "timeout"


async def latency(workers: list[Worker], rate: float, seconds: float, timeout: float = 30,
                  marks: Marks | None = None) -> dict[str, Any]:  # fmt: skip
    """Open loop: order i is due at start + i/rate, whatever happened to the ones before.
    ``marks``: each confirmed order's POST and CONFIRMED times, for ``bench.hops``."""
    marks = {} if marks is None else marks
    count = int(rate * seconds)
    users = [scenario.user_id(SEED, n) for n in range(USERS)]
    conn = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(
        connector=conn, timeout=aiohttp.ClientTimeout(total=timeout + 15)
    ) as session:
        start = time.monotonic() + 0.2
        tasks = []
        for i in range(count):
            due = start + i / rate
            if (delay := due - time.monotonic()) > 0:
                await asyncio.sleep(delay)
            url = workers[i % len(workers)].url
            tasks.append(asyncio.create_task(
                _one_order(session, url, users[i % len(users)], due, timeout, marks)))  # fmt: skip
        results = await asyncio.gather(*tasks, return_exceptions=True)
    ok = sorted(r for r in results if isinstance(r, float))
    failed: dict[str, int] = {}
    for r in results:
        if not isinstance(r, float):
            key = r if isinstance(r, str) else type(r).__name__
            failed[key] = failed.get(key, 0) + 1

    def pct(p: float) -> float | None:
        """Over every order sent, an unconfirmed one counting as slower than all: None when the
        percentile falls among them (more than 1 - p of the orders were not confirmed)."""
        rank = min(count - 1, int(p * count))
        return round(ok[rank] * 1000, 1) if rank < len(ok) else None

    return {
        "offeredPerSecond": rate,
        "orders": count,
        "confirmed": len(ok),
        "failed": failed,
        "p50Ms": pct(0.50),
        "p95Ms": pct(0.95),
        "p99Ms": pct(0.99),
        "meanMs": round(statistics.fmean(ok) * 1000, 1) if ok else None,
    }
