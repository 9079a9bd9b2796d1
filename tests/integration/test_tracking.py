"""Order tracking on a real broker with a real worker process: statuses, DLQ, audit trail."""

from __future__ import annotations

import json
import subprocess
import uuid
import zlib

import orjson

from app.runtime.partitioning import partition_for
from domain import envelope, simulation
from domain.messages import OrderConfirmed
from tests.support.kafka import produce, read_topic
from tests.support.system import System, Worker, eventually


def found(worker: Worker, order_id: str) -> dict | None:
    """The order's status once the worker has it (a 404 is not an answer yet)."""
    resp = worker.get(f"/orders/{order_id}/status")
    return resp.json() if resp.status_code == 200 else None


def test_simulated_orders_become_statuses_and_corrupt_ones_are_kept(system: System) -> None:
    # Given one worker
    worker = system.start_worker()
    worker.wait_ready()
    # When the simulator sends 100 orders and 5 corrupt records
    system.faust(
        "simulate",
        "--orders",
        "100",
        "--corrupt-ratio",
        "0.05",
        "--rate",
        "0",
        "--seed",
        "42",
        "--via",
        "events",
    )
    orders = [r for r in simulation.orders(100, seed=42, corrupt_ratio=0.05) if not r.corrupt]
    # Then every order has a status over HTTP, built from its OrderCreated (the saga may have
    # moved it on since: no stock was added, so it is cancelled for lack of stock)
    for rec in orders:
        body = eventually(lambda rec=rec: found(worker, rec.key))  # type: ignore[misc]  # a lambda binding its loop variable
        assert body["events"][0]["type"] == "OrderCreated", body
        assert body["details"]["userId"] == orjson.loads(rec.value)["data"]["userId"]
        assert body["details"]["items"] and body["details"]["amount"] > 0
    # And the 5 corrupt records are on the DLQ with their context
    letters = [
        orjson.loads(r.value) for r in read_topic(system.bootstrap, system.topic("orders.dlq"), 5)
    ]
    assert len(letters) == 5
    assert {d["failureReason"] for d in letters} <= {"deserialization", "validation"}
    assert all(
        d["originalTopic"] == system.topic("orders.events") and d["errorMessage"] for d in letters
    )

    # And the audit trail has one line per record sent, 5 of them invalid (the saga's own
    # messages that followed are audited too, each on its own line)
    def sent_lines() -> list[dict]:
        lines = [json.loads(line) for line in worker.audit_lines()]
        return [a for a in lines if a["topic"] == system.topic("orders.events")
                and (a["eventType"] == "OrderCreated" or not a["valid"])]  # fmt: skip

    audit = eventually(lambda: len(sent_lines()) >= 105 and sent_lines())
    assert len(audit) == 105
    assert sum(not a["valid"] for a in audit) == 5
    assert all(a["reason"] for a in audit if not a["valid"])


def test_unknown_order_is_a_json_404_and_health_is_ok(system: System) -> None:
    worker = system.start_worker()
    worker.wait_ready()
    resp = worker.get("/orders/does-not-exist/status")
    assert resp.status_code == 404
    assert resp.json() == {"error": "not_found", "detail": "no order 'does-not-exist'"}
    assert worker.get("/no/such/route").json()["error"] == "not_found"
    health = worker.get("/health")
    assert health.status_code == 200 and health.json()["status"] == "ok"


def test_faust_send_shows_up_in_status_view(system: System) -> None:
    worker = system.start_worker()
    worker.wait_ready()
    order_id = f"o-{uuid.uuid4().hex[:8]}"
    body = OrderConfirmed(orderId=order_id, userId="u-1")
    raw = envelope.dumps(envelope.build(body, correlation_id=order_id)).decode()
    system.faust("send", system.topic("orders.events"), raw, "--key", order_id)
    status = eventually(lambda: found(worker, order_id))
    assert status["status"] == "CONFIRMED"


def _crc32_partition(key: bytes, partitions: int) -> int:
    """librdkafka's default partitioner (kcat, confluent-kafka): CRC32 of the key."""
    return zlib.crc32(key) % partitions


def test_records_on_the_wrong_partition_are_repaired_once(system: System) -> None:
    # Given a worker, and orders an outside client put where CRC32 (not murmur2) says
    worker = system.start_worker()
    worker.wait_ready()
    recs = list(simulation.orders(30, seed=7))
    produce(
        system.bootstrap,
        system.topic("orders.events"),
        [(r.key.encode(), r.value, _crc32_partition(r.key.encode(), 3)) for r in recs],
    )
    # Then every order is visible, and each misplaced record was forwarded exactly once
    for rec in recs:
        eventually(lambda rec=rec: worker.get(f"/orders/{rec.key}/status").status_code == 200)  # type: ignore[misc]  # a lambda binding its loop variable
    audit = [json.loads(line) for line in worker.audit_lines()]
    forwarded = [a for a in audit if "forwardedTo" in a]
    misplaced = [
        r for r in recs if _crc32_partition(r.key.encode(), 3) != partition_for(r.key.encode(), 3)
    ]
    assert misplaced, "the sample must contain keys the two partitioners disagree on"
    assert sorted(a["key"] for a in forwarded) == sorted(r.key for r in misplaced)
    for rec in recs:
        body = worker.get(f"/orders/{rec.key}/status").json()
        assert [e["type"] for e in body["events"]].count("OrderCreated") == 1, body


def test_changelog_keys_are_plain_order_ids(system: System) -> None:
    worker = system.start_worker()
    worker.wait_ready()
    recs = list(simulation.orders(5, seed=9))
    produce(
        system.bootstrap,
        system.topic("orders.events"),
        [(r.key.encode(), r.value, None) for r in recs],
    )
    changelog = f"orders-{system.prefix.rstrip('.')}-order-status-changelog"
    keys = {r.key for r in read_topic(system.bootstrap, changelog, 5)}
    assert keys == {r.key.encode() for r in recs}


def test_kcat_with_its_default_partitioner_is_seen_and_corrupt_input_is_kept(
    system: System,
) -> None:
    # Given a worker, and an outside client (kcat, librdkafka's CRC32 partitioner)
    worker = system.start_worker()
    worker.wait_ready()
    topic = system.topic("orders.events")
    recs = list(simulation.orders(10, seed=21))
    # When it sends 10 orders keyed by orderId and one corrupt record
    for rec in recs:
        kcat(system.bootstrap, topic, rec.key, rec.value)
    kcat(system.bootstrap, topic, "corrupt-kcat", b'{"eventType": "OrderCreated", "data": ')
    # Then every order is visible over HTTP, and the corrupt one is in the DLQ and the audit trail
    for rec in recs:
        body = eventually(lambda rec=rec: found(worker, rec.key))  # type: ignore[misc]  # a lambda binding its loop variable
        assert body["events"][0]["type"] == "OrderCreated"
    letters = read_topic(system.bootstrap, system.topic("orders.dlq"), 1)
    assert [orjson.loads(r.value)["originalKey"] for r in letters] == ["corrupt-kcat"]
    audit = [json.loads(line) for line in worker.audit_lines()]
    assert [a["key"] for a in audit if not a["valid"]] == ["corrupt-kcat"]


def kcat(bootstrap: str, topic: str, key: str, value: bytes) -> None:
    subprocess.run(["kcat", "-P", "-b", bootstrap, "-t", topic, "-k", key], input=value, check=True,
                   timeout=30)  # fmt: skip
