"""The DLQ over HTTP: ``GET /dlq?reason=&limit=``, ``GET /dlq/{id}``, ``POST /dlq/redrive``."""

from __future__ import annotations

import socket
from typing import Annotated, Any

import faust
from aiohttp import web
from aiokafka.errors import KafkaError
from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic.json_schema import SkipJsonSchema

from app.application import app
from app.topics import dlq_index_topic
from domain import dlq
from domain.dead_letter import FailureReason
from domain.dlq import Entry
from tables.dlq import dead_letters
from views.http.bodies import json, read_body, unacknowledged
from views.http.contract import operation
from views.http.errors import BadRequestError, problem
from views.http.gather import gather, scannable
from views.http.lists import MAX_LIMIT, Limit


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


class DeadLettersQuery(Limit):
    reason: FailureReason | None = Field(None, description="only records that failed so")


class DeadLetters(BaseModel):
    """The newest ``limit`` records of the DLQ; ``total`` of them match ``reason``."""

    items: list[dlq.DeadLetterShown]
    total: int
    stats: dlq.DeadLetterStats


@app.page("/dlq")
class DeadLettersView(faust.web.View):
    @operation("The dead-letter queue", tag="dlq", ok=(200, DeadLetters), errors=(503,),
               query=DeadLettersQuery)  # fmt: skip
    async def get(self, request: web.Request, query: DeadLettersQuery) -> web.Response:
        """Newest first, from every worker's partitions, with counts over the whole DLQ."""
        entries = await all_entries()
        if isinstance(entries, web.Response):
            return entries
        chosen = dlq.newest_first(dlq.selected(entries, reason=query.reason, everything=True))
        return json({
            "items": [e.public() for e in chosen[: query.limit]],
            "total": len(chosen),
            "stats": dlq.stats(entries),
        })  # fmt: skip


class Redriven(BaseModel):
    """Lists of DLQ ids: redrive asked for, left (already redriven, or the payload kept is not
    the whole record), and ids given that are not in the DLQ."""

    requested: list[str]
    alreadyRedriven: list[str]
    truncated: list[str]
    unknown: list[str]


def _no_default(schema: dict[str, Any]) -> None:
    schema.pop("default", None)


class RedriveBody(BaseModel):
    """Exactly one of: ``{"id": …}``, ``{"ids": […]}``, ``{"reason": …}``, ``{"all": true}``."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "oneOf": [
                {"required": ["id"]},
                {"required": ["ids"]},
                {"required": ["reason"]},
                {"required": ["all"], "properties": {"all": {"const": True}}},
            ]
        },
    )
    # an absent selector is None here; in the document it is simply not there (not null)
    id: Annotated[str, Field(min_length=1, max_length=64)] | SkipJsonSchema[None] = Field(
        None, json_schema_extra=_no_default
    )
    ids: Annotated[list[str], Field(min_length=1, max_length=MAX_LIMIT)] | SkipJsonSchema[None] = (
        Field(None, json_schema_extra=_no_default)
    )
    reason: FailureReason | SkipJsonSchema[None] = Field(None, json_schema_extra=_no_default)
    all: bool = Field(False, strict=True)

    @model_validator(mode="before")
    @classmethod
    def no_null(cls, data: Any) -> Any:
        """A selector given is a value: ``{"id": null}`` is invalid, not "no id"."""
        if isinstance(data, dict) and any(data.get(k, 0) is None for k in ("id", "ids", "reason")):
            raise ValueError("id, ids and reason take a value, not null")
        return data

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
        try:
            await (await dlq_index_topic.send(key=key, value=value))
        except KafkaError as exc:  # a retry is safe: each id is redriven once
            raise BadRequestError(unacknowledged("the redrive request", exc)) from exc
    return answer


@app.page("/dlq/redrive")
class RedriveView(faust.web.View):
    @operation("Redrive dead letters", tag="dlq", ok=(202, Redriven), errors=(404, 503),
               body=RedriveBody, access="admin")  # fmt: skip
    async def post(self, request: web.Request) -> web.Response:
        """Each chosen record is sent again to its original topic, once (a second redrive of it
        does nothing); 404 when the one ``id`` given is not in the DLQ."""
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
    @operation("One dead letter", tag="dlq", ok=(200, dlq.DeadLetterShown), errors=(404, 503))
    async def get(self, request: web.Request, dlq_id: str) -> web.Response:
        entries = await all_entries()
        if isinstance(entries, web.Response):
            return entries
        found = dlq.selected(entries, ids=[dlq_id])
        if not found:
            return problem(404, "not_found", f"no DLQ record {dlq_id!r}")
        return json(found[0].public())
