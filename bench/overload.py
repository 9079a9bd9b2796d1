"""Overload: more orders offered over HTTP than the workers carry, and where each one ends.

Open loop at a multiple of the capacity the pipeline part measured: order i is posted when it is
due, whatever happened to the ones before; a refused order is not retried (each is a new
customer), so every offered order ends as exactly one of: confirmed, refused at the edge (429),
cancelled (the saga's deadline, or stock or payment), rejected, or failed (any other answer, or
no terminal event within the wait). Outcomes are read from ``orders.events`` by our own consumer."""

from __future__ import annotations

import asyncio
import time
from contextlib import aclosing
from typing import Any

import aiohttp

from bench.endings import terminal_events
from bench.pipeline import SEED, USERS
from domain import scenario
from tests.support.system import System, Worker

SKU = "sku-cable"
SAGA_TIMEOUT = 30.0  # the workers' default ORDERS_SAGA_TIMEOUT


async def _outcomes(system: System, seen: dict[str, str], ready: asyncio.Event,
                    stop: asyncio.Event) -> None:  # fmt: skip
    """Every terminal event on orders.events from now on, until ``stop``: ``{orderId: type}``."""
    async with aclosing(terminal_events(system, ready)) as batches:
        async for batch in batches:
            seen.update(batch)
            if stop.is_set():
                break


async def quiet(workers: list[Worker], timeout: float = 300) -> None:
    """Until no partition has more than a commit interval of backlog (what a run before left)."""
    deadline = time.monotonic() + timeout
    async with aiohttp.ClientSession() as session:
        while time.monotonic() < deadline:
            async with session.get(f"{workers[0].url}/stats") as resp:
                backlog = (await resp.json())["admission"]["backlogSeconds"]
            if backlog and max(backlog.values()) < 3:
                return
            await asyncio.sleep(1)
    raise TimeoutError(f"the workers still had a backlog after {timeout:g} s: {backlog}")


async def _post(session: aiohttp.ClientSession, url: str, user: str) -> tuple[str, str | None]:
    body = {"userId": user, "items": [{"sku": SKU, "quantity": 1}], "currency": "EUR"}
    try:
        async with session.post(url + "/orders", json=body) as resp:
            if resp.status == 202:
                return "accepted", str((await resp.json())["orderId"])
            return ("refused" if resp.status == 429 else f"POST {resp.status}"), None
    except (TimeoutError, aiohttp.ClientError) as exc:
        return type(exc).__name__, None


async def overload(system: System, workers: list[Worker], rate: float, seconds: float,
                   wait: float) -> dict[str, Any]:  # fmt: skip
    """Offer ``rate`` orders/s for ``seconds``; then wait up to ``wait`` s for the accepted ones."""
    for w in workers:  # enough stock that no order is cancelled for the want of it
        restock = {"quantity": 1_000_000, "name": "USB-C cable", "unitPrice": 9.99}
        async with (
            aiohttp.ClientSession() as s,
            s.post(f"{w.url}/inventory/{SKU}/restock", json=restock) as resp,
        ):
            assert resp.status == 202, await resp.text()
    await quiet(workers)
    seen: dict[str, str] = {}
    ready, stop = asyncio.Event(), asyncio.Event()
    watch = asyncio.create_task(_outcomes(system, seen, ready, stop))
    await ready.wait()
    await asyncio.sleep(2)  # the restocks applied
    count = int(rate * seconds)
    users = [scenario.user_id(SEED, n) for n in range(USERS)]
    timeout = aiohttp.ClientTimeout(total=30)
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0),
                                     timeout=timeout) as session:  # fmt: skip
        start, tasks = time.monotonic() + 0.2, []
        for i in range(count):
            if (delay := start + i / rate - time.monotonic()) > 0:
                await asyncio.sleep(delay)
            url = workers[i % len(workers)].url
            tasks.append(asyncio.create_task(_post(session, url, users[i % len(users)])))
        answers = await asyncio.gather(*tasks)
    offered_for = time.monotonic() - start
    accepted = {order_id for kind, order_id in answers if order_id is not None}
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline and not accepted <= seen.keys():
        await asyncio.sleep(0.5)
    drained = time.monotonic() - start
    stop.set()
    await watch
    ends = {"confirmed": 0, "refused": 0, "cancelled": 0, "rejected": 0, "failed": 0}
    failed: dict[str, int] = {}
    for kind, order_id in answers:
        end = seen.get(order_id) if order_id else None
        if kind == "refused":
            ends["refused"] += 1
        elif end == "OrderConfirmed":
            ends["confirmed"] += 1
        elif end == "OrderCancelled":
            ends["cancelled"] += 1
        elif end == "OrderRejected":
            ends["rejected"] += 1
        else:
            ends["failed"] += 1
            why = kind if order_id is None else "no terminal event"
            failed[why] = failed.get(why, 0) + 1
    return {
        "offeredPerSecond": round(rate, 1),
        "offered": count,
        "offeredSeconds": round(offered_for, 1),
        **ends,
        "shares": {k: round(v / count, 3) for k, v in ends.items()},
        "failedBy": failed,
        "confirmedPerSecond": round(ends["confirmed"] / drained, 1),
        "secondsToLastOutcome": round(drained, 1),
    }


def measure(system: System, capacity: float, seconds: float, *, admission: bool,
            multiples: tuple[int, ...]) -> dict[str, Any]:  # fmt: skip
    """The overload runs on ``system``'s workers, one per multiple of ``capacity``."""
    out = {}
    wait = 3 * SAGA_TIMEOUT + 30  # the longest an accepted order may take, and then some
    for times in multiples:
        run = asyncio.run(overload(system, system.workers, capacity * times, seconds, wait))
        run["admission"], run["capacityMultiple"] = admission, times
        out[f"{times}x{'' if admission else '-no-admission'}"] = run
        print(f"  overload {times}x ({'with' if admission else 'without'} admission control): "
              f"{run['shares']}", flush=True)  # fmt: skip
    return out


def rows(runs: dict[str, dict[str, Any]]) -> list[list[Any]]:
    """The overload table: one row per run."""
    return [
        [
            f"{r['capacityMultiple']}x",
            "on" if r["admission"] else "off",
            r["offeredPerSecond"],
            r["offered"],
            *(f"{r['shares'][k]:.0%}" for k in ("confirmed", "refused", "cancelled", "rejected")),
            r["failedBy"] or "-",
            r["confirmedPerSecond"],
            r["secondsToLastOutcome"],
        ]
        for r in runs.values()
    ]


HEADER = ["offered", "admission", "orders/s", "orders", "confirmed", "refused (429)",
          "cancelled", "rejected", "failed", "confirmed/s", "s to last outcome"]  # fmt: skip
