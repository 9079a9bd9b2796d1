"""What the fault harness reads from the workers over HTTP, through their rebalances."""

from __future__ import annotations

import time
from typing import Any

import httpx

from tests.support.system import System, Worker


def through_rebalance(w: Worker, path: str, params: dict[str, str] | None = None) -> httpx.Response:
    """GET ``path``, again while it answers 503 (a rebalance does, for a few seconds)."""
    for _ in range(60):
        resp = w.get(path, params=params, timeout=30)
        if resp.status_code != 503:
            return resp
        time.sleep(1)
    return resp


def pages(w: Worker, path: str) -> dict[str, dict[str, Any]]:
    """Every item of a list endpoint (all pages), by its id."""
    key = {"/orders": "orderId", "/aggregates": "userId"}[path]
    out: dict[str, dict[str, Any]] = {}
    cursor = None
    while True:
        params = {"limit": "500", **({"cursor": cursor} if cursor else {})}
        resp = through_rebalance(w, path, params)
        resp.raise_for_status()
        page = resp.json()
        out.update({item[key]: item for item in page["items"]})
        if not (cursor := page["nextCursor"]):
            return out


def statuses(w: Worker) -> dict[str, dict[str, Any]]:
    """Every order status, gathered from the workers."""
    return pages(w, "/orders")


def any_worker(system: System, wait: float = 120) -> Worker:
    """A worker that answers /health with 200 (waiting up to ``wait`` s for one: a worker may be
    restarting, or stepping out of the group)."""
    deadline = time.monotonic() + wait
    while True:
        for w in system.workers:
            try:
                if w.proc and w.proc.poll() is None and w.get("/health").status_code == 200:
                    return w
            except httpx.HTTPError:
                continue
        if time.monotonic() > deadline:
            raise RuntimeError("no worker is healthy")
        time.sleep(1)
