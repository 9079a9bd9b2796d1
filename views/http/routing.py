"""Answer a keyed read on the worker that owns the key, from whichever worker is asked.

Faust's ``table_route`` answers 500 with a traceback when the owner is gone and, with JSON keys,
routes to the wrong worker (faust-streaming #514). This does the same job with raw keys, a
timeout, and a 503 + ``Retry-After`` (one log line) whenever the owner cannot answer now.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import aiohttp
import mode
from aiohttp import web
from faust.types import TP, TableT
from pydantic import BaseModel
from yarl import URL

from app.application import app
from app.observability import tracing
from app.runtime.assignment import Assignment
from app.runtime.partitioning import partition_for
from app.runtime.settled import settled
from app.settings import settings
from tables.store import JsonTable
from views.http.access import peer_headers
from views.http.bodies import json
from views.http.errors import problem

log = logging.getLogger(__name__)
M = TypeVar("M", bound=BaseModel)
FORWARDED = "X-Orders-Forwarded-By"


_peers: list[aiohttp.ClientSession] = []


def peers() -> aiohttp.ClientSession:
    """The HTTP client for requests to other workers. Faust's ``app.http_client`` pools 100
    connections: forwarded long-polls held them all once a worker fell behind, and the next
    requests waited for a connection until their timeout and answered 503 (``make bench`` at 100
    orders/s). This pool is sized for every long-poll a worker accepts, plus the rest."""
    if not _peers:
        limit = settings.longpoll_limit + 100
        connector = aiohttp.TCPConnector(limit=limit, limit_per_host=limit)
        _peers.append(aiohttp.ClientSession(connector=connector))
    return _peers[0]


@app.service
class PeersClosed(mode.Service):
    """Closes the client to other workers when the worker stops."""

    async def on_stop(self) -> None:
        while _peers:
            await _peers.pop().close()


def unavailable(detail: str) -> web.Response:
    return problem(503, "unavailable", detail, headers={"Retry-After": str(settings.retry_after)})


async def not_on_broker(table: TableT[Any, Any], key: str | None) -> web.Response | None:
    """A 503 unless what this worker holds for ``key`` (None: for every key) is acknowledged by
    the broker, so that no answer shows a value a ``kill -9`` could take back
    (``app.runtime.settled``); None once it is."""
    # half the forwarder's timeout: a slow ack answers this 503, not "owner unreachable"
    if await settled(table, None if key is None else key.encode(), settings.route_timeout / 2):
        return None
    return unavailable("the latest value is not acknowledged by the broker yet")


def partition_of(table: TableT[Any, Any], key: str) -> TP:
    """The changelog partition of ``key``: where its value lives, whoever owns it."""
    changelog = table.changelog_topic.get_topic_name()
    return TP(changelog, partition_for(key.encode(), table.partitions or settings.topic_partitions))


@dataclass(frozen=True)
class Forward:
    owner: str


@dataclass(frozen=True)
class Refuse:
    detail: str


def decide(group: Assignment, tp: TP, *, forwarded: bool) -> Forward | Refuse | None:
    """Where a keyed request for ``tp`` is answered: None here, by its owner (``Forward``), or
    nowhere now (``Refuse``: a 503). A forwarded request is answered here or refused, never
    forwarded again."""
    owner = group.owner(tp)
    if owner is None:
        return Refuse(f"no worker owns partition {tp.partition} yet")
    if not (group.is_me(owner) or forwarded):
        return Forward(owner)
    if group.moving:
        return Refuse("this worker is rebalancing or recovering its tables")
    if tp not in group.active:
        return Refuse(f"partition {tp.partition} of {tp.topic} is not active on this worker")
    return None


async def route(
    request: web.Request,
    table: TableT[Any, Any],
    key: str,
    local: Callable[[], Awaitable[web.Response]],
) -> web.Response:
    tp = partition_of(table, key)
    where = decide(Assignment.now(), tp, forwarded=bool(request.headers.get(FORWARDED)))
    if isinstance(where, Refuse):
        return unavailable(where.detail)
    if isinstance(where, Forward):
        return await _forward(request, where.owner, tp)
    return await local()


async def _forward(request: web.Request, owner: str, tp: TP) -> web.Response:
    url = URL(owner.rstrip("/") + request.raw_path, encoded=True)  # as the client sent it
    timeout = aiohttp.ClientTimeout(total=settings.route_timeout + _wait_of(request))
    try:
        headers = {
            FORWARDED: str(app.conf.canonical_url),
            **tracing.http_headers(),
            **peer_headers(request, request.method, request.raw_path),
        }
        for name in ("Content-Type", "Idempotency-Key"):  # what the owner's answer depends on
            if name in request.headers:
                headers[name] = request.headers[name]
        body = await request.read() if request.method in ("POST", "PUT", "PATCH") else None
        async with peers().request(
            request.method, url, headers=headers, data=body, timeout=timeout
        ) as resp:
            body = await resp.read()
            headers = {k: v for k, v in resp.headers.items() if k in ("Retry-After", "Location")}
            return web.Response(
                body=body, status=resp.status, content_type=resp.content_type, headers=headers
            )
    except (TimeoutError, aiohttp.ClientError) as exc:
        log.warning("owner %s of %s unreachable: %s", owner, tp, type(exc).__name__)
        return unavailable(f"the worker owning partition {tp.partition} ({owner}) is unreachable")


def _wait_of(request: web.Request) -> float:
    try:
        return max(0.0, float(request.query.get("wait", 0)))
    except ValueError:
        return 0.0


async def read_one(
    request: web.Request, store: JsonTable[M], key: str, render: Callable[[M], object], noun: str
) -> web.Response:
    """``GET`` of one keyed value, answered by its owner: the rendered value, or a JSON 404."""

    async def local() -> web.Response:
        value = store.get(key)
        if (not_yet := await not_on_broker(store.table, key)) is not None:
            return not_yet
        if value is None:
            return problem(404, "not_found", f"no {noun} {key!r}")
        return json(render(value))

    return await route(request, store.table, key, local)


async def wait_visible(store: JsonTable[M], key: str, path: str) -> bool:
    """Read-your-writes for a client that writes then reads (or orders) at once: poll the key's
    owner until it has the key, at most ``ORDERS_ROUTE_TIMEOUT`` seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + settings.route_timeout
    while loop.time() < deadline:
        group = Assignment.now()
        owner = group.owner(partition_of(store.table, key))
        if owner is not None and group.is_me(owner):
            left = max(0.0, deadline - loop.time())
            if store.get(key) is not None and await settled(store.table, key.encode(), left):
                return True
        elif owner is not None and await _owner_answers(owner, path):
            return True
        await asyncio.sleep(0.05)
    return False


async def _owner_answers(owner: str, path: str) -> bool:
    headers = {FORWARDED: str(app.conf.canonical_url), **peer_headers(None, "GET", path)}
    try:
        async with peers().get(
            URL(owner.rstrip("/") + path, encoded=True),
            headers=headers,
            timeout=aiohttp.ClientTimeout(total=1),
        ) as resp:
            return resp.status == 200
    except (TimeoutError, aiohttp.ClientError):
        return False
