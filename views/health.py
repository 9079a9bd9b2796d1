"""``GET /health``: broker reachable, group joined, tables recovered — 200, or 503 with reasons."""

from __future__ import annotations

import asyncio
from typing import Any

import faust
from aiohttp import web

from app.adapters.catalog import caught_up as catalog_caught_up
from app.application import app
from app.runtime.assignment import unsettled
from app.runtime.watchdog import stalled_partitions
from app.settings import settings


async def _broker_reachable() -> str | None:
    try:
        producer: Any = app.producer  # Faust's private handle on aiokafka's client
        client = producer._ensure_producer().client  # the client on this event loop
        await asyncio.wait_for(client.fetch_all_metadata(), timeout=3)
    except Exception as exc:
        return f"broker unreachable: {type(exc).__name__}"
    return None


def _group_state() -> tuple[list[str], str | None]:
    try:
        assigned = sorted(f"{tp.topic}/{tp.partition}" for tp in app.consumer.assignment())
    except Exception:
        return [], "consumer not started"
    if moving := unsettled():
        return assigned, moving
    if not catalog_caught_up.is_set():
        return assigned, "loading the catalog"
    if stalled := stalled_partitions():
        return assigned, f"stalled: {', '.join(stalled)} (no committed progress, records waiting)"
    return assigned, None


@app.page("/health")
class HealthView(faust.web.View):
    """Readiness of this worker; load balancers and tests poll it."""

    async def get(self, request: web.Request) -> web.Response:
        assigned, group_problem = _group_state()
        problems = [p for p in (await _broker_reachable(), group_problem) if p]
        body: dict[str, Any] = {
            "status": "ok" if not problems else "unavailable",
            **({"error": "unavailable", "detail": "; ".join(problems)} if problems else {}),
            "worker": str(app.conf.canonical_url),
            "problems": problems,
            "assignedPartitions": assigned,
            "stalledPartitions": stalled_partitions(),
        }
        headers = {"Retry-After": str(settings.retry_after)} if problems else None
        return web.json_response(body, status=503 if problems else 200, headers=headers)
