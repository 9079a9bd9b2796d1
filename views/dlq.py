"""The DLQ over HTTP: ``GET /dlq?reason=&limit=``, ``GET /dlq/{id}``, ``POST /dlq/redrive``."""

from __future__ import annotations

import socket
from typing import Any, get_args

import faust
from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field, model_validator

from app.application import app
from app.topics import dlq_index_topic
from domain import dlq
from domain.dead_letter import FailureReason
from domain.dlq import Entry
from tables.dlq import dead_letters
from views.http.bodies import json, read_body
from views.http.errors import BadRequestError, problem
from views.http.gather import gather, scannable
from views.http.lists import MAX_LIMIT, whole

REASONS = get_args(FailureReason)


@scannable("dlq", dead_letters.table)
def scan_dead_letters(params: dict[str, str]) -> list[dict[str, Any]]:
    return [Entry.model_validate_json(raw).public() for raw in dead_letters.table.values()]


async def all_entries() -> list[Entry] | web.Response:
    items = await gather("dlq", {}, key="id")
    if isinstance(items, web.Response):
        return items
    return [Entry.model_validate(_entry_fields(item)) for item in items]


def _entry_fields(item: dict[str, Any]) -> dict[str, Any]:
    keys = ("dlqPartition", "dlqOffset", "redrivenAt", "redrivenBy")
    letter = {k: v for k, v in item.items() if k not in keys}
    return {"letter": letter, **{k: item[k] for k in keys}}


@app.page("/dlq")
class DeadLettersView(faust.web.View):
    async def get(self, request: web.Request) -> web.Response:
        """``{items, total, stats}``: newest first, ``reason`` filters, at most ``limit`` (50)."""
        reason = request.query.get("reason") or None
        if reason is not None and reason not in REASONS:
            return problem(400, "invalid_reason", f"reason must be one of {list(REASONS)}")
        raw_limit = request.query.get("limit", "50")
        if not whole(raw_limit) or not 1 <= int(raw_limit) <= MAX_LIMIT:
            return problem(400, "invalid_limit", f"limit must be 1..{MAX_LIMIT}")
        entries = await all_entries()
        if isinstance(entries, web.Response):
            return entries
        chosen = dlq.newest_first(dlq.selected(entries, reason=reason, everything=True))
        return json({
            "items": [e.public() for e in chosen[: int(raw_limit)]],
            "total": len(chosen),
            "stats": dlq.stats(entries),
        })  # fmt: skip


class RedriveBody(BaseModel):
    """Exactly one of: ``{"id": …}``, ``{"ids": […]}``, ``{"reason": …}``, ``{"all": true}``."""

    model_config = ConfigDict(extra="forbid")
    id: str | None = Field(None, min_length=1, max_length=64)
    ids: list[str] | None = Field(None, min_length=1, max_length=MAX_LIMIT)
    reason: FailureReason | None = None
    all: bool = False

    @model_validator(mode="after")
    def one_selector(self) -> RedriveBody:
        given = [self.id is not None, self.ids is not None, self.reason is not None, self.all]
        if sum(given) != 1:
            raise ValueError("give exactly one of id, ids, reason, all")
        return self


async def request_redrives(entries: list[Entry], by: str) -> dict[str, list[str]]:
    """A redrive request for each entry not redriven yet (the DLQ agent redrives each id once,
    so a request that crosses another one changes nothing)."""
    answer = dlq.triage(entries)
    for dlq_id in answer["requested"]:
        key, value = dlq.redrive_request(dlq_id, by)
        await (await dlq_index_topic.send(key=key, value=value))
    return answer


@app.page("/dlq/redrive")
class RedriveView(faust.web.View):
    async def post(self, request: web.Request) -> web.Response:
        """202 ``{requested, alreadyRedriven, truncated, unknown}`` (lists of DLQ ids)."""
        body = await read_body(request, RedriveBody)
        entries = await all_entries()
        if isinstance(entries, web.Response):
            return entries
        ids = [body.id] if body.id is not None else body.ids
        chosen = dlq.selected(entries, ids=ids, reason=body.reason, everything=body.all)
        unknown = sorted(set(ids or ()) - {e.letter.id for e in chosen})
        if body.id is not None and unknown:
            raise BadRequestError(problem(404, "not_found", f"no DLQ record {body.id!r}"))
        by = f"http {socket.gethostname()} {app.conf.canonical_url}"
        answer = await request_redrives(dlq.newest_first(chosen), by)
        return json({**answer, "unknown": unknown}, status=202)


# After /dlq/redrive: aiohttp tries routes in the order they were added.
@app.page("/dlq/{dlq_id}")
class DeadLetterView(faust.web.View):
    async def get(self, request: web.Request, dlq_id: str) -> web.Response:
        entries = await all_entries()
        if isinstance(entries, web.Response):
            return entries
        found = dlq.selected(entries, ids=[dlq_id])
        if not found:
            return problem(404, "not_found", f"no DLQ record {dlq_id!r}")
        return json(found[0].public())
