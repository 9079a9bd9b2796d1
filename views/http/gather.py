"""Lists across keys: every worker scans the partitions it owns, the asked worker gathers them and
answers only when every partition is covered (else 503 naming the missing ones), never a
silently partial list."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import aiohttp
import faust
from aiohttp import web
from faust.types import TableT
from yarl import URL

from app.application import app
from app.runtime.assignment import Assignment
from app.runtime.settled import settled
from app.settings import settings
from views.http.access import internal, peer_headers
from views.http.errors import problem
from views.http.routing import FORWARDED, Refuse, peers, unavailable

Scan = Callable[[dict[str, str]], list[dict[str, Any]]]
SCANS: dict[str, tuple[TableT[Any, Any], Scan]] = {}


class Unavailable(Exception):
    pass


def scannable(name: str, table: TableT[Any, Any]) -> Callable[[Scan], Scan]:
    """Register ``scan(params) -> items`` over this worker's active partitions of ``table``."""

    def register(scan: Scan) -> Scan:
        SCANS[name] = (table, scan)
        return scan

    return register


async def local_part(name: str, params: dict[str, str], group: Assignment) -> dict[str, Any]:
    """This worker's share: the partitions it owns now, and their items, as the broker has them
    (``app.runtime.settled``)."""
    table, scan = SCANS[name]
    if group.moving:
        raise Unavailable("rebalancing or recovering")
    owned, items = group.owned(_changelog(table)), scan(params)  # read, then wait for its acks
    if not await settled(table, None, settings.route_timeout / 2):
        raise Unavailable("the latest values are not acknowledged by the broker yet")
    if Assignment.now().generation != group.generation:
        raise Unavailable("rebalancing")
    return {"generation": group.generation, "partitions": owned, "items": items}


async def _remote_part(url: str, name: str, params: dict[str, str]) -> dict[str, Any]:
    timeout = aiohttp.ClientTimeout(total=settings.route_timeout)
    rel = URL(f"/internal/scan/{name}").with_query(params)  # signed as the peer will read it
    headers = {FORWARDED: str(app.conf.canonical_url), **peer_headers(None, "GET", str(rel))}
    target = URL(url.rstrip("/") + str(rel), encoded=True)
    async with peers().get(target, headers=headers, timeout=timeout) as resp:
        if resp.status != 200:
            raise Unavailable(f"{url} answered {resp.status}")
        return dict(await resp.json())


async def gather(
    name: str, params: dict[str, str], key: str
) -> list[dict[str, Any]] | web.Response:
    """Every item of ``name`` from every worker, deduplicated by ``key``; or a 503."""
    table, _ = SCANS[name]
    group = Assignment.now()
    urls = group.workers()

    async def part(url: str) -> dict[str, Any]:
        if group.is_me(url):
            return await local_part(name, params, group)
        return await _remote_part(url, name, params)

    parts = await asyncio.gather(*(part(u) for u in urls), return_exceptions=True)
    partitions = table.partitions or settings.topic_partitions
    merged = combine(list(zip(urls, parts, strict=True)), key, partitions, _changelog(table))
    return unavailable(merged.detail) if isinstance(merged, Refuse) else merged


def combine(
    parts: list[tuple[str, dict[str, Any] | BaseException]],
    key: str,
    partitions: int,
    changelog: str,
) -> list[dict[str, Any]] | Refuse:
    """The items of every worker's part, once per ``key``, when the parts cover all
    ``partitions`` in one group generation; else why not."""
    covered, items, problems = set(), {}, []
    for url, got in parts:
        if isinstance(got, BaseException):
            problems.append(f"{url}: {type(got).__name__} {got}".strip())
            continue
        covered |= set(got["partitions"])
        items.update({item[key]: item for item in got["items"]})
    missing = sorted(set(range(partitions)) - covered)
    if missing:
        why = "; ".join(problems) or "unassigned"
        return Refuse(f"partitions {missing} of {changelog} are not available now ({why})")
    if len({got["generation"] for _, got in parts if isinstance(got, dict)}) > 1:
        return Refuse("the workers are rebalancing (different generations)")
    return list(items.values())


def _changelog(table: TableT[Any, Any]) -> str:
    return table.changelog_topic.get_topic_name()


@app.page("/internal/scan/{name}")
class ScanView(faust.web.View):
    """One worker's share of a list (used by ``gather`` on the worker that was asked)."""

    @internal
    async def get(self, request: web.Request, name: str) -> web.Response:
        if name not in SCANS:
            return problem(404, "not_found", f"no list {name!r}")
        try:
            return web.json_response(await local_part(name, dict(request.query), Assignment.now()))
        except Unavailable as exc:
            return unavailable(str(exc))
