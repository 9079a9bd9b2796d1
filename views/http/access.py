"""The HTTP API's door: API keys (``domain.access``), per-client write limits, fault injection
only when asked for, and workers signing what they forward to each other.

One aiohttp middleware runs before every handler: it finds the operation the request is for (its
``@operation(access=...)``; a method declared nowhere needs ``admin``, a GET ``read``), answers
404 for an operation switched off (``POST /payments/outage`` without
``ORDERS_FAULT_INJECTION``), 401 with ``WWW-Authenticate: Bearer`` for a missing or unknown key,
403 for a key of too small a role, and 429 with ``Retry-After`` past ``ORDERS_RATE_LIMIT``
writes per second of one key (of one address without keys). A request another worker forwards
carries the client's ``Authorization`` (the owner checks the same key) and the forwarder's
signature, ``X-Orders-Peer``: HMAC-SHA256 over time, method and path with a secret every worker
derives from the keys; a signed request was counted where it arrived and is not counted again.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import mode
from aiohttp import web
from limits import RateLimitItemPerSecond
from limits.aio.storage import MemoryStorage
from limits.aio.strategies import MovingWindowRateLimiter

from app.application import app
from app.settings import settings
from domain.access import SHORT_KEY, Access, Keyring, bearer, check, digest
from views.http.contract import operation_of
from views.http.errors import problem

log = logging.getLogger(__name__)
PEER = "X-Orders-Peer"
PEER_SKEW = 60.0  # seconds a signature is good for, either side of now
CHALLENGE = {"WWW-Authenticate": 'Bearer realm="orders"'}
F = TypeVar("F", bound=Callable[..., Any])


@dataclass
class Gate:
    ring: Keyring | None
    read_auth: bool
    limiter: tuple[MovingWindowRateLimiter, RateLimitItemPerSecond] | None = None
    peer_secret: bytes = b""  # empty: workers do not sign (no keys, no ORDERS_PEER_SECRET)


@functools.cache
def gate() -> Gate:
    """The keys, read once (a file's content at the first request or at start)."""
    text = settings.api_keys_text()
    ring = None if text is None else Keyring.parse(text, salt=settings.app_id)
    secret = b"" if ring is None else ring.peer_secret
    if settings.peer_secret is not None:
        secret = hashlib.sha256(settings.peer_secret.get_secret_value().encode()).digest()
    return Gate(ring, settings.api_read_auth, peer_secret=secret)


def announce() -> None:
    """One line at start: whether the API is open, and whether a key is weak."""
    ring = gate().ring
    if ring is None:
        log.warning("the HTTP API is open: ORDERS_API_KEYS is not set, anyone who reaches this "
                    "port may place orders, redrive the DLQ and read every order")  # fmt: skip
        if settings.fault_injection:
            log.warning("ORDERS_FAULT_INJECTION is on and the API open: anyone may take the "
                        "payment gateway down (POST /payments/outage)")  # fmt: skip
        if settings.api_read_auth:
            log.warning("ORDERS_API_READ_AUTH is set but no keys are: reads stay open")
        return
    log.info("the HTTP API needs keys: %d configured, reads %s", len(ring.entries),
             "need one" if settings.api_read_auth else "are open")  # fmt: skip
    if ring.short:
        log.warning("%d API key(s) are shorter than %d characters", ring.short, SHORT_KEY)


def public(handler: F) -> F:
    """Marks a handler anyone may call, keys or not (pages and files with no data)."""
    handler.__access__ = "public"  # type: ignore[attr-defined]
    return handler


def internal(handler: F) -> F:
    """Marks a handler only other workers call (signed with ``X-Orders-Peer`` when keys exist)."""
    handler.__access__ = "peer"  # type: ignore[attr-defined]
    return handler


def peer_headers(request: web.Request | None, method: str, path_qs: str) -> dict[str, str]:
    """What a worker adds to a request to another worker: its signature and, when it acts for a
    client, the client's ``Authorization``."""
    headers = {}
    if request is not None and "Authorization" in request.headers:
        headers["Authorization"] = request.headers["Authorization"]
    secret = gate().peer_secret
    if secret:
        now = str(int(time.time()))
        headers[PEER] = f"{now}:{_mac(secret, now, method, path_qs)}"
    return headers


def _mac(secret: bytes, when: str, method: str, path_qs: str) -> str:
    message = f"{when}\n{method.upper()}\n{path_qs}".encode()
    return hmac.new(secret, message, hashlib.sha256).hexdigest()


def from_peer(request: web.Request) -> bool:
    """The request carries a valid, fresh signature of a worker of this app, over the path as
    it came (``raw_path``: what the sender signed, before any normalization)."""
    secret, signed = gate().peer_secret, request.headers.get(PEER, "")
    when, _, mac = signed.partition(":")
    if not secret or not (when.isascii() and when.isdigit() and len(when) <= 12):
        return False
    if abs(time.time() - int(when)) > PEER_SKEW:
        return False
    expected = _mac(secret, when, request.method, request.raw_path)
    return hmac.compare_digest(expected.encode(), mac.encode())


def needs_of(request: web.Request) -> Access | None:
    """What the request's operation needs; None when no route matched (aiohttp answers that)."""
    info = request.match_info
    if info.http_exception is not None:
        return None
    resource = info.route.resource
    if isinstance(resource, web.StaticResource):
        return "public"  # the docs page's assets
    view = app.web.views.get(resource.canonical) if resource is not None else None
    if view is None:
        return "admin"  # a route of no view of ours: closed
    name = "get" if request.method == "HEAD" else request.method.lower()
    method = getattr(view, name, None)
    declared = getattr(method, "__access__", None)
    if declared is not None:
        return declared  # type: ignore[no-any-return]
    return "read" if name == "get" else "admin"  # never declared: closed


def switched_off(request: web.Request) -> bool:
    info = request.match_info
    resource = info.route.resource if info.http_exception is None else None
    view = app.web.views.get(resource.canonical) if resource is not None else None
    name = "get" if request.method == "HEAD" else request.method.lower()
    method = getattr(view, name, None)
    op = operation_of(method) if method is not None else None
    return op is not None and op.when is not None and not op.when()


async def over_limit(request: web.Request, ring: Keyring | None) -> int | None:
    """Seconds to wait when this client is past ``ORDERS_RATE_LIMIT`` writes per second."""
    if settings.rate_limit <= 0:
        return None
    door = gate()
    if door.limiter is None:
        item = RateLimitItemPerSecond(settings.rate_limit)
        door.limiter = (MovingWindowRateLimiter(MemoryStorage()), item)
    limiter, item = door.limiter
    token = bearer(request.headers.get("Authorization")) if ring is not None else None
    who = digest(token).hex()[:32] if token else f"address:{request.remote}"
    if await limiter.hit(item, who):
        return None
    stats = await limiter.get_window_stats(item, who)
    return max(1, math.ceil(stats.reset_time - time.time()))


@web.middleware
async def guarded(request: web.Request, handler):  # type: ignore[no-untyped-def]
    needs = needs_of(request)
    if needs is None:
        return await handler(request)
    if switched_off(request):
        return problem(404, "not_found", f"{request.method} {request.path} is switched off here")
    door = gate()
    peer = needs != "public" and from_peer(request)
    denied = check(door.ring, needs, request.headers.get("Authorization"),
                   read_auth=door.read_auth, peer=peer)  # fmt: skip
    if denied is not None:
        headers = CHALLENGE if denied.status == 401 else None
        return problem(denied.status, denied.error, denied.detail, headers)
    if needs in ("write", "admin") and not peer:
        wait = await over_limit(request, door.ring)
        if wait is not None:
            detail = f"more than {settings.rate_limit} writes per second from this client"
            return problem(429, "rate_limited", detail, {"Retry-After": str(wait)})
    return await handler(request)


@app.service
class DoorAnnounced(mode.Service):
    """Reads the keys as the worker starts (a bad ORDERS_API_KEYS stops it there) and says
    whether the API is open."""

    async def on_start(self) -> None:
        announce()


# innermost, after the JSON errors and the write tracing that app.application sets up
app.web.web_app.middlewares.append(guarded)  # type: ignore[attr-defined]
