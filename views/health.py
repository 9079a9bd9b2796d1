"""``GET /health``: broker reachable, group joined, tables recovered — 200, or 503 with reasons."""

from __future__ import annotations

import asyncio
from typing import Any, Literal

import faust
from aiohttp import web
from pydantic import BaseModel, Field

from app.adapters.catalog import caught_up as catalog_caught_up
from app.application import app
from app.runtime.assignment import unsettled
from app.runtime.watchdog import stalled_partitions
from app.settings import settings
from views.http.bodies import json
from views.http.contract import RETRY_AFTER, Answer, operation


class Health(BaseModel):
    """Readiness: ``ok``, or ``unavailable`` with the reasons (and ``error``/``detail`` set, as
    in every other error answer; null when ok)."""

    status: Literal["ok", "unavailable"]
    error: Literal["unavailable"] | None = None
    detail: str | None = None
    worker: str
    problems: list[str]
    assignedPartitions: list[str] = Field(description="topic/partition assigned to this worker")
    stalledPartitions: list[str]


NOT_READY = Answer(Health, "not ready: broker, group, tables or a stalled partition", RETRY_AFTER)


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
    @operation("Readiness", tag="operations", ok=(200, Health), errors=(503,),
               answers={503: NOT_READY}, access="public")  # fmt: skip
    async def get(self, request: web.Request) -> web.Response:
        """Readiness of this worker; load balancers and tests poll it."""
        assigned, group_problem = _group_state()
        problems = [p for p in (await _broker_reachable(), group_problem) if p]
        body = Health(
            status="unavailable" if problems else "ok",
            error="unavailable" if problems else None,
            detail="; ".join(problems) if problems else None,
            worker=str(app.conf.canonical_url),
            problems=problems,
            assignedPartitions=assigned,
            stalledPartitions=stalled_partitions(),
        )
        headers = {"Retry-After": str(settings.retry_after)} if problems else None
        return json(body.model_dump(), 503 if problems else 200, headers)
