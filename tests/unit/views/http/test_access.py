"""The door in front of every handler, on the worker's real routes and their declared access:
401/403 by key and role, reads open or not, fault injection switched off (404), the per-client
write limit (429), and what another worker signs."""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import AsyncIterator
from typing import Any

import pytest
import swagger_ui_bundle  # type: ignore[import-untyped]
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

import views
from app.application import app
from app.settings import settings
from domain.access import Keyring
from views.http import access
from views.http.errors import json_errors

WRITE, ADMIN, READ = "w-0123456789abcdef", "a-0123456789abcdef", "r-0123456789abcdef"
RING = Keyring.parse(f"write:{WRITE},admin:{ADMIN},read:{READ}", salt="orders")


def key(k: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {k}"}


async def handled(request: web.Request) -> web.Response:
    return web.json_response({"handled": True})


def door(monkeypatch: pytest.MonkeyPatch, ring: Keyring | None, *, read_auth: bool = False,
         rate_limit: int = 0, faults: bool = False) -> None:  # fmt: skip
    gate = access.Gate(ring, read_auth, peer_secret=b"" if ring is None else ring.peer_secret)
    monkeypatch.setattr(access, "gate", lambda: gate)
    monkeypatch.setattr("views.http.access.settings", settings.model_copy(
        update={"rate_limit": rate_limit}))  # fmt: skip
    monkeypatch.setattr("views.payments.settings", settings.model_copy(
        update={"fault_injection": faults}))  # fmt: skip


@pytest.fixture
async def client() -> AsyncIterator[TestClient[Any, Any]]:
    """Every route of the worker, its handler replaced by one that says it was reached."""
    for module in pkgutil.walk_packages(views.__path__, "views."):
        importlib.import_module(module.name)
    server = web.Application(middlewares=[json_errors, access.guarded])
    for path, view in app.web.views.items():
        for method in view.get_methods():
            server.router.add_route(method, path, handled)
    server.router.add_static("/docs/assets", swagger_ui_bundle.swagger_ui_path)  # as served
    async with TestClient(TestServer(server)) as test_client:
        yield test_client


async def status(client: TestClient[Any, Any], method: str, path: str, **kw: Any) -> int:
    async with client.request(method, path, **kw) as resp:
        if resp.content_type != "application/json":  # a static file
            return resp.status
        body = await resp.json()
        if resp.status == 200:
            assert body == {"handled": True}
        else:
            assert set(body) >= {"error", "detail"}, body  # JSON as every error
        if resp.status == 401:
            assert resp.headers["WWW-Authenticate"].startswith("Bearer")
        return resp.status


async def test_without_keys_everything_is_open_but_fault_injection(
    client: TestClient[Any, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    door(monkeypatch, None)
    assert await status(client, "POST", "/orders") == 200
    assert await status(client, "POST", "/dlq/redrive") == 200
    assert await status(client, "POST", "/payments/outage") == 404
    door(monkeypatch, None, faults=True)
    assert await status(client, "POST", "/payments/outage") == 200


async def test_writes_need_a_key_of_their_role(
    client: TestClient[Any, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    door(monkeypatch, RING)
    writes = [("POST", "/orders"), ("POST", "/users"), ("POST", "/carts/u-1/items"),
              ("DELETE", "/carts/u-1/items/sku-1"), ("POST", "/carts/u-1/checkout"),
              ("POST", "/inventory/sku-1/restock")]  # fmt: skip
    for method, path in writes:
        assert await status(client, method, path) == 401, path
        assert await status(client, method, path, headers=key("nope")) == 401, path
        assert await status(client, method, path, headers=key(READ)) == 403, path
        assert await status(client, method, path, headers=key(WRITE)) == 200, path
        assert await status(client, method, path, headers=key(ADMIN)) == 200, path
    assert await status(client, "POST", "/dlq/redrive", headers=key(WRITE)) == 403
    assert await status(client, "POST", "/dlq/redrive", headers=key(ADMIN)) == 200
    assert await status(client, "POST", "/orders", headers={"Authorization": WRITE}) == 401
    assert await status(client, "GET", "/orders") == 200  # reads stay open


async def test_fault_injection_is_a_404_unless_on_and_then_an_admins(
    client: TestClient[Any, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    door(monkeypatch, RING)
    assert await status(client, "POST", "/payments/outage", headers=key(ADMIN)) == 404
    door(monkeypatch, RING, faults=True)
    assert await status(client, "POST", "/payments/outage") == 401
    assert await status(client, "POST", "/payments/outage", headers=key(WRITE)) == 403
    assert await status(client, "POST", "/payments/outage", headers=key(ADMIN)) == 200


async def test_closed_reads_need_any_key_but_probes_and_docs_stay_open(
    client: TestClient[Any, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    door(monkeypatch, RING, read_auth=True)
    for path in ("/orders", "/orders/o-1/status", "/stats", "/stats/cluster", "/metrics",
                 "/dlq", "/users/u-1", "/carts/u-1", "/aggregates"):  # fmt: skip
        assert await status(client, "GET", path) == 401, path
        assert await status(client, "GET", path, headers=key(READ)) == 200, path
        assert await status(client, "GET", path, headers=key(WRITE)) == 200, path
    for path in ("/health", "/", "/docs", "/openapi.json", "/docs/assets/swagger-ui.css",
                 "/docs/assets/docs-init.js"):  # fmt: skip
        assert await status(client, "GET", path) == 200, path


async def test_only_a_signed_worker_scans_and_a_signature_fits_one_request(
    client: TestClient[Any, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    door(monkeypatch, RING, read_auth=True)
    path = "/internal/scan/orders?user=u-1"
    assert await status(client, "GET", path, headers=key(ADMIN)) == 403
    signed = access.peer_headers(None, "GET", path)
    assert await status(client, "GET", path, headers=signed) == 200
    assert (
        await status(client, "GET", "/orders", headers=access.peer_headers(None, "GET", "/orders"))
        == 200
    )
    assert await status(client, "GET", "/internal/scan/orders?user=u-2", headers=signed) == 403
    stale = {access.PEER: "1000:" + signed[access.PEER].split(":")[1]}
    assert await status(client, "GET", path, headers=stale) == 403
    other = Keyring.parse(f"write:{WRITE}", salt="orders")  # knows one key, not all
    monkeypatch.setattr(
        access, "gate", lambda: access.Gate(other, True, peer_secret=other.peer_secret)
    )
    forged = access.peer_headers(None, "GET", path)
    door(monkeypatch, RING, read_auth=True)
    assert await status(client, "GET", path, headers=forged) == 403


async def test_a_client_past_its_write_rate_gets_a_429_and_others_do_not(
    client: TestClient[Any, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    door(monkeypatch, RING, rate_limit=3)
    answers = [await status(client, "POST", "/orders", headers=key(WRITE)) for _ in range(5)]
    assert answers[:3] == [200] * 3 and 429 in answers[3:]
    async with client.post("/orders", headers=key(WRITE)) as resp:
        assert resp.status == 429 and int(resp.headers["Retry-After"]) >= 1
        assert (await resp.json())["error"] == "rate_limited"
    assert await status(client, "POST", "/orders", headers=key(ADMIN)) == 200  # its own budget
    assert await status(client, "GET", "/orders", headers=key(WRITE)) == 200  # reads: no limit
    forwarded = {**key(WRITE), **access.peer_headers(None, "POST", "/carts/u-1/checkout")}
    assert await status(client, "POST", "/carts/u-1/checkout", headers=forwarded) == 200


async def test_without_keys_the_limit_is_per_address(
    client: TestClient[Any, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    door(monkeypatch, None, rate_limit=2)
    answers = [await status(client, "POST", "/users") for _ in range(4)]
    assert answers[:2] == [200, 200] and answers[2:] == [429, 429]


async def test_a_malformed_signature_is_no_signature_and_no_error(
    client: TestClient[Any, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    door(monkeypatch, RING, read_auth=True)
    for forged in ("²:ab", "9" * 5000 + ":ab", ":", "abc", "12:", "1:" + "0" * 64):
        assert (
            await status(client, "GET", "/internal/scan/orders", headers={access.PEER: forged})
            == 403
        )
        assert await status(client, "GET", "/health", headers={access.PEER: forged}) == 200


async def test_without_keys_a_peer_secret_signs_so_forwards_are_not_counted_twice(
    client: TestClient[Any, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    door(monkeypatch, None, rate_limit=1)
    signing = access.Gate(None, False, peer_secret=b"s" * 32)
    monkeypatch.setattr(access, "gate", lambda: signing)
    signed = access.peer_headers(None, "POST", "/carts/u-1/checkout")
    answers = [
        await status(client, "POST", "/carts/u-1/checkout", headers=signed) for _ in range(3)
    ]
    assert answers == [200, 200, 200]
    assert await status(client, "POST", "/users") == 200
    assert await status(client, "POST", "/users") == 429
