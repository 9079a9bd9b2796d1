"""``GET /metrics`` (Prometheus text), ``GET /stats`` (the same as JSON), ``GET /stats/cluster``
(every worker's ``/stats`` and their sums), all computed when asked."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
import faust
from aiohttp import web
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4

from app.application import app
from app.observability import dashboard, metrics, stats
from app.observability.dlq_size import dlq_size
from app.observability.snapshot import ClusterStats, WorkerStats
from app.settings import settings
from views.http.access import peer_headers
from views.http.bodies import json
from views.http.contract import Answer, operation
from views.http.routing import FORWARDED, peers


@app.page("/metrics")
class MetricsView(faust.web.View):
    @operation("Prometheus metrics", tag="operations",
               ok=Answer(None, "the text exposition format 0.0.4", media="text/plain"))  # fmt: skip
    async def get(self, request: web.Request) -> web.Response:
        """Faust's sensor and the business metrics of this worker, for Prometheus to scrape."""
        await dlq_size.refresh()
        # The classic text format (0.0.4): every Prometheus since 2.0 reads it.
        return web.Response(
            body=metrics.render(), headers={"Content-Type": CONTENT_TYPE_PLAIN_0_0_4}
        )


@app.page("/stats")
class StatsView(faust.web.View):
    @operation("This worker's numbers", tag="operations", ok=(200, WorkerStats))
    async def get(self, request: web.Request) -> web.Response:
        return json(await stats.worker_stats())


async def _remote(url: str) -> dict[str, Any]:
    timeout = aiohttp.ClientTimeout(total=settings.route_timeout)
    headers = {FORWARDED: str(app.conf.canonical_url), **peer_headers(None, "GET", "/stats")}
    try:
        async with peers().get(f"{url}/stats", timeout=timeout, headers=headers) as resp:
            if resp.status != 200:
                return {"worker": url, "error": f"answered {resp.status}"}
            return dict(await resp.json())
    except (TimeoutError, aiohttp.ClientError) as exc:
        return {"worker": url, "error": f"unreachable: {type(exc).__name__}"}


@app.page("/stats/cluster")
class ClusterStatsView(faust.web.View):
    @operation("Every worker's numbers", tag="operations", ok=(200, ClusterStats))
    async def get(self, request: web.Request) -> web.Response:
        """Every member's ``/stats`` (a member that does not answer is listed with an ``error``)
        and their sums; the live page polls it."""
        me = str(app.conf.canonical_url).rstrip("/")
        urls = sorted({u.rstrip("/") for u in app.router.tables_metadata()} | {me})
        snaps = await asyncio.gather(
            *(stats.worker_stats() if url == me else _remote(url) for url in urls)
        )
        snaps = list(snaps)
        return json({"totals": dashboard.totals(snaps), "workers": snaps})
