"""The DLQ on a real broker with a real worker: inspect over HTTP and the CLI, redrive once."""

from __future__ import annotations

import json
import time

import httpx
import orjson

from tests.conftest import FAST
from tests.support.kafka import produce, read_topic
from tests.support.system import System, eventually

UNKNOWN_TYPE = orjson.dumps({
    "eventId": "2f1c3c1e-3d52-4a8e-9b57-1f0e6a7c9d10", "eventType": "PlaceOrderPlease",
    "timestamp": "2026-11-24T12:00:00Z", "version": "1.0", "data": {"userId": "u-dlq"},
})  # fmt: skip


def redriven_copies(system: System, dlq_id: str) -> list[bytes]:
    """Records on orders.commands that carry ``redriven-from: dlq_id``."""
    records = read_topic(system.bootstrap, system.topic("orders.commands"), 10**6, timeout=3)
    return [r.value for r in records if ("redriven-from", dlq_id.encode()) in r.headers]


def test_dead_letters_are_listed_and_redriven_once(system: System) -> None:
    w = system.start_worker(**FAST)
    w.wait_ready()
    # Given a corrupt record and one of an unknown type on orders.commands
    produce(system.bootstrap, system.topic("orders.commands"),
            [(b"u-dlq", b"\xff{not json", None), (b"u-dlq", UNKNOWN_TYPE, None)])  # fmt: skip

    def listed() -> dict:
        body = w.get("/dlq").json()
        assert body["total"] == 2, body
        return body

    body = eventually(listed, 30)
    reasons = {i["failureReason"]: i for i in body["items"]}
    assert set(reasons) == {"deserialization", "validation"}
    assert body["stats"]["byReason"] == {"deserialization": 1, "validation": 1}
    corrupt, unknown = reasons["deserialization"], reasons["validation"]
    assert corrupt["originalPayload"].startswith("base64:") and corrupt["redrivenAt"] is None
    assert "PlaceOrderPlease" in unknown["errorMessage"]
    # the DLQ records carry their reason in headers
    letters = read_topic(system.bootstrap, system.topic("orders.dlq"), 2)
    assert sorted(dict(r.headers)["dlq-reason"] for r in letters) == [
        b"deserialization",
        b"validation",
    ]
    # filters and bad parameters
    only = w.get("/dlq", params={"reason": "validation", "limit": "1"}).json()
    assert [i["id"] for i in only["items"]] == [unknown["id"]] and only["total"] == 1
    for params in ({"reason": "bogus"}, {"limit": "0"}):
        bad = w.get("/dlq", params=params)
        assert bad.status_code == 400 and bad.json()["error"].startswith("invalid_"), bad.text
    assert w.get(f"/dlq/{corrupt['id']}").json()["originalOffset"] == corrupt["originalOffset"]
    assert w.get("/dlq/no-such-id").status_code == 404

    # The CLI sees the same records
    cli = json.loads(system.faust("dlq", "list", "--json").stdout)
    assert {i["id"] for i in cli} == {corrupt["id"], unknown["id"]}
    stats = json.loads(system.faust("dlq", "stats").stdout)
    assert stats["total"] == 2 and stats["waiting"] == 2
    shown = json.loads(system.faust("dlq", "show", unknown["id"]).stdout)
    assert shown["errorMessage"] == unknown["errorMessage"]

    # When the corrupt one is redriven over HTTP, twice
    url = f"{w.url}/dlq/redrive"
    first = httpx.post(url, json={"id": corrupt["id"]}, timeout=10)
    assert first.status_code == 202, first.text
    assert first.json()["requested"] == [corrupt["id"]]
    eventually(lambda: w.get(f"/dlq/{corrupt['id']}").json()["redrivenAt"], 30)
    again = httpx.post(url, json={"id": corrupt["id"]}, timeout=10).json()
    assert again == {
        "requested": [], "alreadyRedriven": [corrupt["id"]], "truncated": [], "unknown": []
    }  # fmt: skip
    # Then it is back on orders.commands once, byte for byte, and dead-lettered anew (new id)
    assert redriven_copies(system, corrupt["id"]) == [b"\xff{not json"]
    eventually(lambda: w.get("/dlq").json()["total"] == 3, 30)

    # And the CLI redrives by reason, once as well
    out = system.faust("dlq", "redrive", "--reason", "validation").stdout
    assert f"redriven          {unknown['id']}" in out, out
    out = system.faust("dlq", "redrive", "--id", unknown["id"]).stdout
    assert f"already redriven  {unknown['id']}" in out, out
    time.sleep(1)
    assert redriven_copies(system, unknown["id"]) == [UNKNOWN_TYPE]
    assert redriven_copies(system, corrupt["id"]) == [b"\xff{not json"]


def test_redrive_requests_are_validated(system: System) -> None:
    w = system.start_worker(**FAST)
    w.wait_ready()
    url = f"{w.url}/dlq/redrive"
    for body, status in (({}, 422), ({"id": "x", "all": True}, 422), ({"id": "nope"}, 404),
                         ({"reason": "later"}, 422)):  # fmt: skip
        resp = httpx.post(url, json=body, timeout=10)
        assert resp.status_code == status, (body, resp.text)
        assert "error" in resp.json()
    assert httpx.post(url, content=b"{", timeout=10).status_code == 400
    nothing = httpx.post(url, json={"all": True}, timeout=10)
    assert nothing.status_code == 202
    assert nothing.json() == {
        "requested": [],
        "alreadyRedriven": [],
        "truncated": [],
        "unknown": [],
    }
