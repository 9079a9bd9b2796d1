"""API keys on two real workers, tried as a client and as an attacker would: an order runs to
CONFIRMED with a write key through either worker (forwarded reads, a forwarded checkout,
lists gathered from both with reads closed); no key, an unknown key or a key of too small a role
is refused with a JSON 401/403 the document declares; fault injection needs an admin; a client
past ``ORDERS_RATE_LIMIT`` gets a 429; and no key shows up in anything the run wrote or
answered."""

from __future__ import annotations

import functools
import secrets
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from openapi_spec_validator import validate

from tests.conftest import FAST
from tests.support.contract import conforms
from tests.support.shop import outcome, place, register, restock
from tests.support.system import System, Worker, eventually

KEYS = {role: f"{role}-{secrets.token_urlsafe(24)}" for role in ("read", "write", "admin")}
BURST = f"burst-{secrets.token_urlsafe(24)}"  # a second write key: its own rate budget
RATE = 10
SETTINGS = {
    **FAST,
    # No test here waits for a saga deadline. FAST's 4 s cancelled this module's first order
    # once (a fresh-clone run: 4.75 s from its ReserveStock to its delivery, two workers cold)
    "ORDERS_SAGA_TIMEOUT": "30",
    "ORDERS_API_KEYS": ",".join(f"{role}:{key}" for role, key in KEYS.items()) + f",write:{BURST}",
    "ORDERS_API_READ_AUTH": "true",
    "ORDERS_FAULT_INJECTION": "true",
    "ORDERS_RATE_LIMIT": str(RATE),
}
ANSWERS: list[httpx.Response] = []  # every answer, for the secrets check at the end


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


@pytest.fixture(scope="module")
def pair(
    kafka_bootstrap: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[System, Worker, Worker, dict[str, Any]]]:
    system = System(kafka_bootstrap, Path(tmp_path_factory.mktemp("access")))
    system.create_topics()
    w1, w2 = system.start_worker(**SETTINGS), system.start_worker(**SETTINGS)
    try:
        w1.wait_ready()  # /health: open to probes
        w2.wait_ready()
        events = system.topic("orders.events")
        eventually(lambda: w1.owns(events) and w2.owns(events), 60)
        doc = w1.get("/openapi.json").json()
        validate(doc)
        yield system, w1, w2, doc
    finally:
        system.stop_all()


def call(worker: Worker, method: str, path: str, key: str | None = None, **kw: Any) -> Any:
    headers = {**kw.pop("headers", {}), **(bearer(key) if key else {})}
    resp = httpx.request(method, worker.url + path, headers=headers, timeout=15, **kw)
    ANSWERS.append(resp)
    return resp


def test_an_order_runs_to_confirmed_with_keys_through_either_worker(
    pair: tuple[System, Worker, Worker, dict[str, Any]],
) -> None:
    _, w1, w2, doc = pair
    w1.headers, w2.headers = bearer(KEYS["write"]), bearer(KEYS["write"])
    try:
        user, sku = register(w1), restock(w2, 100, 5.0)
        placed = place(w1, user, [(sku, 2)])
        assert placed.status_code == 202, placed.text
        assert outcome(w2, placed.json()["orderId"])["status"] == "CONFIRMED"
        for worker in (w1, w2):  # one of them forwards the checkout to the cart's owner
            added = worker.post(f"/carts/{user}/items", json={"sku": sku, "quantity": 1})
            assert added.status_code == 202, added.text
            cart = functools.partial(worker.get, f"/carts/{user}")
            eventually(lambda: cart().json()["items"] != [])  # noqa: B023  # used at once
            checkout = worker.post(f"/carts/{user}/checkout")
            assert checkout.status_code == 202, checkout.text
            assert outcome(worker, checkout.json()["orderId"])["status"] == "CONFIRMED"
    finally:
        w1.headers, w2.headers = {}, {}
    for worker in (w1, w2):  # reads with a read key: forwarded, gathered from both workers
        assert call(worker, "GET", f"/users/{user}", KEYS["read"]).status_code == 200
        listed = call(worker, "GET", f"/orders?user={user}", KEYS["read"])
        assert listed.status_code == 200, listed.text
        assert len(listed.json()["items"]) == 3
        cluster = call(worker, "GET", "/stats/cluster", KEYS["read"])
        assert cluster.status_code == 200
        assert [w.get("error") for w in cluster.json()["workers"]] == [None, None]
        conforms(doc, "/stats/cluster", "GET", cluster)


@pytest.mark.parametrize(
    ("method", "path", "key", "status"),
    [
        ("POST", "/orders", None, 401),
        ("POST", "/orders", "not-a-key", 401),
        ("POST", "/orders", "read", 403),
        ("POST", "/users", None, 401),
        ("POST", "/carts/{user_id}/checkout", None, 401),
        ("POST", "/inventory/{sku}/restock", "read", 403),
        ("POST", "/dlq/redrive", "write", 403),
        ("POST", "/payments/outage", "write", 403),
        ("GET", "/orders", None, 401),
        ("GET", "/orders/{order_id}/status", "not-a-key", 401),
        ("GET", "/stats", None, 401),
        ("GET", "/metrics", None, 401),
    ],
)
def test_a_missing_unknown_or_too_small_key_is_refused_as_the_document_says(
    pair: tuple[System, Worker, Worker, dict[str, Any]],
    method: str, path: str, key: str | None, status: int,
) -> None:  # fmt: skip
    _, w1, w2, doc = pair
    url = path.format(user_id="u-1", sku="sku-1", order_id="o-1")
    for worker in (w1, w2):
        resp = call(worker, method, url, KEYS.get(key or "", key), json={})
        assert resp.status_code == status, resp.text
        assert resp.json()["error"] == ("unauthorized" if status == 401 else "forbidden")
        if status == 401:
            assert resp.headers["WWW-Authenticate"].startswith("Bearer")
        conforms(doc, path, method, resp)


def test_probes_docs_and_internal_scans(
    pair: tuple[System, Worker, Worker, dict[str, Any]],
) -> None:
    _, w1, _, doc = pair
    for path in ("/health", "/docs", "/openapi.json", "/"):
        assert call(w1, "GET", path).status_code == 200, path
    scan = call(w1, "GET", "/internal/scan/orders", KEYS["admin"])  # workers only
    assert scan.status_code == 403
    assert doc["paths"]["/orders"]["post"]["security"] == [{"apiKey": []}]


def test_a_client_past_its_rate_gets_a_429_with_retry_after_and_others_go_on(
    pair: tuple[System, Worker, Worker, dict[str, Any]],
) -> None:
    _, w1, _, doc = pair
    bad = {"sku": "", "quantity": 0}  # refused by the handler (422), after the door counted it
    answers = [call(w1, "POST", "/carts/u-1/items", BURST, json=bad) for _ in range(RATE * 3)]
    codes = [a.status_code for a in answers]
    assert set(codes) == {422, 429} and codes[0] == 422, codes
    limited = next(a for a in answers if a.status_code == 429)
    assert limited.json()["error"] == "rate_limited"
    conforms(doc, "/carts/{user_id}/items", "POST", limited)
    other = call(w1, "POST", "/carts/u-1/items", KEYS["write"], json=bad)
    assert other.status_code == 422  # another key's budget is its own
    time.sleep(int(limited.headers["Retry-After"]))
    assert call(w1, "POST", "/carts/u-1/items", BURST, json=bad).status_code == 422


def test_fault_injection_needs_an_admin_key(
    pair: tuple[System, Worker, Worker, dict[str, Any]],
) -> None:
    _, w1, _, doc = pair
    refused = call(w1, "POST", "/payments/outage", json={"seconds": 1})
    assert refused.status_code == 401
    down = call(w1, "POST", "/payments/outage", KEYS["admin"], json={"seconds": 1})
    assert down.status_code == 202, down.text
    conforms(doc, "/payments/outage", "POST", down)
    too_long = call(w1, "POST", "/payments/outage", KEYS["admin"], json={"seconds": 86400})
    assert too_long.status_code == 422


def test_no_key_appears_in_any_file_or_answer_of_the_run(
    pair: tuple[System, Worker, Worker, dict[str, Any]],
) -> None:
    system, w1, w2, _ = pair
    for worker in (w1, w2):
        for page in ("/stats", "/stats/cluster", "/metrics", "/health", "/openapi.json"):
            call(worker, "GET", page, KEYS["admin"])
    secret_values = [*KEYS.values(), BURST]
    for resp in ANSWERS:
        shown = resp.content + str(resp.headers).encode()
        for key in secret_values:
            assert key.encode() not in shown, f"{resp.request.url} shows a key"
    files = [p for p in system.root.rglob("*") if p.is_file()]
    assert any(p.name == "audit.jsonl" for p in files) and len(files) > 10
    for written in files:
        content = written.read_bytes()
        for key in secret_values:
            assert key.encode() not in content, f"{written} holds a key"
