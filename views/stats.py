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
from app.settings import settings
from views.http.bodies import json
from views.http.routing import FORWARDED, peers


@app.page("/metrics")
class MetricsView(faust.web.View):
    """Faust's sensor and the business metrics of this worker, for Prometheus to scrape."""

    async def get(self, request: web.Request) -> web.Response:
        await dlq_size.refresh()
        # The classic text format (0.0.4): every Prometheus since 2.0 reads it.
        return web.Response(
            body=metrics.render(), headers={"Content-Type": CONTENT_TYPE_PLAIN_0_0_4}
        )


@app.page("/stats")
class StatsView(faust.web.View):
    """This worker's numbers as one JSON snapshot."""

    async def get(self, request: web.Request) -> web.Response:
        return json(await stats.worker_stats())


async def _remote(url: str) -> dict[str, Any]:
    timeout = aiohttp.ClientTimeout(total=settings.route_timeout)
    try:
        async with peers().get(
            f"{url}/stats", timeout=timeout, headers={FORWARDED: str(app.conf.canonical_url)}
        ) as resp:
            if resp.status != 200:
                return {"worker": url, "error": f"answered {resp.status}"}
            return dict(await resp.json())
    except (TimeoutError, aiohttp.ClientError) as exc:
        return {"worker": url, "error": f"unreachable: {type(exc).__name__}"}


@app.page("/stats/cluster")
class ClusterStatsView(faust.web.View):
    """Every member's ``/stats`` (a member that does not answer is listed with an ``error``) and
    their sums; the live page polls it."""

    async def get(self, request: web.Request) -> web.Response:
        me = str(app.conf.canonical_url).rstrip("/")
        urls = sorted({u.rstrip("/") for u in app.router.tables_metadata()} | {me})
        snaps = await asyncio.gather(
            *(stats.worker_stats() if url == me else _remote(url) for url in urls)
        )
        snaps = list(snaps)
        return json({"totals": dashboard.totals(snaps), "workers": snaps})
