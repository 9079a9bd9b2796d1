"""The whole system on the secure broker (SASL_SSL, SCRAM-SHA-512, ACLs: the app's user has only
what ``faust -A app acls`` lists), with API keys on the HTTP side and reads closed: orders run to
CONFIRMED through either worker, the tools work as the app's user (simulate, the DLQ, replay
compared with the live read side), and no secret (the Kafka passwords, the API keys) appears in
any file the run wrote (outside the broker's own folder) or in any answer, spans included."""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from localkafka.broker import Broker
from tests.conftest import FAST
from tests.support.secure import secure_of, secure_system
from tests.support.shop import TERMINAL, outcome, place, register, restock
from tests.support.system import System, Worker, eventually

KEYS = {role: f"{role}-{secrets.token_urlsafe(24)}" for role in ("read", "write", "admin")}
SETTINGS = {
    **FAST,
    "ORDERS_API_KEYS": ",".join(f"{role}:{key}" for role, key in KEYS.items()),
    "ORDERS_API_READ_AUTH": "true",
    "ORDERS_API_KEY": KEYS["read"],  # what the tools send (replay --compare)
    "ORDERS_TRACE_EXPORTER": "console",  # every span in the workers' logs, to grep too
}
ANSWERS: list[httpx.Response] = []


@pytest.fixture(scope="module")
def pair(
    kafka_secure: Broker, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[System, Worker, Worker]]:
    system = secure_system(kafka_secure, Path(tmp_path_factory.mktemp("secure-e2e")), **SETTINGS)
    w1, w2 = system.start_worker(), system.start_worker()
    try:
        w1.wait_ready(90)
        w2.wait_ready(90)
        events = system.topic("orders.events")
        eventually(lambda: w1.owns(events) and w2.owns(events), 60)
        yield system, w1, w2
    finally:
        system.stop_all()


def read(worker: Worker, path: str) -> httpx.Response:
    resp = worker.get(path, headers={"Authorization": f"Bearer {KEYS['read']}"})
    ANSWERS.append(resp)
    return resp


def test_orders_run_to_confirmed_through_either_worker(
    pair: tuple[System, Worker, Worker],
) -> None:
    _, w1, w2 = pair
    for worker in (w1, w2):
        worker.headers = {"Authorization": f"Bearer {KEYS['write']}"}
    user, sku = register(w1), restock(w2, 50, 3.5)
    for worker in (w1, w2):
        placed = place(worker, user, [(sku, 1)])
        assert placed.status_code == 202, placed.text
        assert outcome(worker, placed.json()["orderId"])["status"] == "CONFIRMED"
    assert read(w2, f"/orders?user={user}").json()["items"][0]["status"] == "CONFIRMED"
    ANSWERS.append(w1.post("/orders", headers={"Authorization": "Bearer nope"}, json={}))
    assert ANSWERS[-1].status_code == 401


def test_the_tools_work_as_the_apps_user(
    pair: tuple[System, Worker, Worker], tmp_path: Path
) -> None:
    system, w1, _ = pair
    sent = system.faust("simulate", "--orders", "20", "--rate", "0", "--corrupt-ratio", "0.2",
                        "--users", "5", timeout=180)  # fmt: skip
    assert sent.returncode == 0, sent.stderr[-3000:]

    def dead_letters() -> list[object]:
        listed = system.faust("dlq", "list", "--json")
        assert listed.returncode == 0, listed.stderr[-3000:]
        found: list[object] = json.loads(listed.stdout)
        return found if found else []

    assert eventually(dead_letters, 60)  # the corrupt records, read back by the DLQ tool
    by_hand = system.faust("send", system.topic("orders.commands"), "--key", "u-by-hand",
                           '{"not": "an envelope"}')  # fmt: skip
    assert by_hand.returncode == 0, by_hand.stderr[-3000:]  # faust send, as the app's user

    def settled() -> bool:  # every order at its outcome (the gateway's outages time some out)
        listed = read(w1, "/orders?limit=500")
        orders = listed.json()["items"] if listed.status_code == 200 else []
        done = len(orders) >= 20 and all(o["status"] in TERMINAL for o in orders)
        return done and read(w1, "/stats/cluster").json()["totals"]["lag"] == 0

    eventually(settled, 120, interval=2)
    out = tmp_path / "replayed.json"
    replay = system.faust("replay", "--output", str(out), "--compare", w1.url, "--quiet",
                          timeout=180)  # fmt: skip
    assert replay.returncode == 0, replay.stdout[-3000:] + replay.stderr[-3000:]


def test_no_secret_in_any_file_written_nor_in_any_answer(
    pair: tuple[System, Worker, Worker], kafka_secure: Broker
) -> None:
    system, w1, w2 = pair
    for worker in (w1, w2):
        for page in ("/stats", "/stats/cluster", "/metrics", "/health", "/openapi.json"):
            read(worker, page)
    secure = secure_of(kafka_secure)
    hidden = [secure.admin.password, secure.app.password, secure.controller.password,
              *KEYS.values()]  # fmt: skip
    for resp in ANSWERS:
        shown = resp.content + str(resp.headers).encode()
        assert not [s for s in hidden if s.encode() in shown], resp.request.url
    files = [p for p in system.root.rglob("*") if p.is_file()]
    assert any(p.suffix == ".log" for p in files) and any(p.name == "audit.jsonl" for p in files)
    spans = "".join(p.read_text(errors="replace") for p in files if p.suffix == ".log")
    assert '"trace_id"' in spans or "trace_id" in spans  # the spans are there to be searched
    for written in files:
        content = written.read_bytes()
        assert not [s for s in hidden if s.encode() in content], f"{written} holds a secret"
