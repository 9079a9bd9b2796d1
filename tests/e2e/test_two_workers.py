"""Two worker processes: any worker answers for every order, during and after a kill -9."""

from __future__ import annotations

import time

import httpx

from domain import simulation
from tests.support.kafka import produce
from tests.support.shop import TERMINAL
from tests.support.system import System, Worker, eventually

FAILOVER_SLO = 15.0  # seconds, from kill -9 to every order answered again (issue 3)


def statuses(worker: Worker, keys: list[str]) -> dict[str, httpx.Response]:
    return {key: worker.get(f"/orders/{key}/status") for key in keys}


def settled(worker: Worker, keys: list[str]) -> bool:
    """Every order answered and at its end (the saga has decided it), so the answers stop moving."""
    answers = statuses(worker, keys).values()
    return all(r.status_code == 200 and r.json()["status"] in TERMINAL for r in answers)


def counted_twice(status: dict) -> bool:
    """An event applied twice shows as a second OrderCreated or a second terminal event."""
    types = [e["type"] for e in status["events"]]
    terminal = sum(types.count(t) for t in ("OrderConfirmed", "OrderCancelled", "OrderRejected"))
    return types.count("OrderCreated") != 1 or terminal > 1


def test_either_worker_answers_for_every_order_and_survives_a_kill(system: System) -> None:
    # Given two workers sharing the partitions
    w1, w2 = system.start_worker(), system.start_worker()
    w1.wait_ready()
    w2.wait_ready()
    events = system.topic("orders.events")
    eventually(lambda: w1.owns(events) and w2.owns(events), 60)
    # When 100 orders are simulated
    system.faust("simulate", "--orders", "100", "--rate", "0", "--seed", "5", "--via", "events")
    keys = [r.key for r in simulation.orders(100, seed=5)]
    # Then both workers answer the same for every order (half of them forwarded to the owner)
    for worker in (w1, w2):
        eventually(lambda w=worker: settled(w, keys), 60)  # type: ignore[misc]  # a lambda binding its loop variable
    one, two = statuses(w1, keys), statuses(w2, keys)
    assert all(one[k].json() == two[k].json() for k in keys)

    # When w1 is killed with SIGKILL
    w1.kill()
    killed_at = time.monotonic()
    # Then w2 never answers 500: each read is 200, or 503 with Retry-After while w1's
    # partitions are orphaned, and within the SLO every order is answered again
    seen_503 = False
    while time.monotonic() - killed_at < FAILOVER_SLO + 30:
        answers = statuses(w2, keys)
        for resp in answers.values():
            assert resp.status_code in (200, 503), resp.text
            if resp.status_code == 503:
                seen_503 = True
                assert resp.headers["Retry-After"].isdigit()
                assert resp.json()["error"] == "unavailable"
        if all(r.status_code == 200 for r in answers.values()):
            break
        time.sleep(0.2)
    failover = time.monotonic() - killed_at
    print(f"failover after kill -9: {failover:.1f}s (503 seen during it: {seen_503})")
    assert seen_503, "reads of the dead worker's orders must have been 503 until the rebalance"
    assert all(r.status_code == 200 for r in statuses(w2, keys).values())
    assert failover <= FAILOVER_SLO, f"failover took {failover:.1f}s"
    assert {k: r.json() for k, r in statuses(w2, keys).items()} == {
        k: r.json() for k, r in one.items()
    }


def uncommitted_backlog(system: System, seed: int) -> tuple[Worker, list[str]]:
    """A worker that has applied 300 OrderCreated events and will not commit their offsets."""
    worker = system.start_worker(BROKER_COMMIT_INTERVAL="3600", BROKER_COMMIT_EVERY="1000000")
    worker.wait_ready()
    recs = list(simulation.orders(300, seed=seed))
    records = [(r.key.encode(), r.value, None) for r in recs]
    produce(system.bootstrap, system.topic("orders.events"), records)
    keys = [r.key for r in recs]
    eventually(lambda: all(r.status_code == 200 for r in statuses(worker, keys).values()), 60)
    return worker, keys


def test_reprocessed_backlog_counts_nothing_twice(system: System) -> None:
    # Given a worker that has processed a backlog but never committed its offsets
    w1, keys = uncommitted_backlog(system, seed=13)
    # When it dies before any commit and a second worker takes over
    time.sleep(1)  # let its changelog writes (acks=all) leave the producer
    w1.kill()
    w2 = system.start_worker()
    w2.wait_ready()
    # Then w2 restores the state from the changelog, is redelivered the whole uncommitted backlog,
    # and no event is in any order's history twice
    eventually(lambda: len(w2.audit_lines()) >= len(keys), 60)
    bodies = eventually(
        lambda: (b := statuses(w2, keys)) and all(r.status_code == 200 for r in b.values()) and b,
        60,
    )
    assert [k for k, r in bodies.items() if counted_twice(r.json())] == []
    print(f"records reprocessed after the kill: {len(w2.audit_lines())}")


def test_second_worker_joining_before_the_first_commit_redoes_nothing(system: System) -> None:
    # Given a worker that has processed a backlog and would not commit it for an hour
    w1, keys = uncommitted_backlog(system, seed=17)
    # When a second worker joins and takes over some partitions
    w2 = system.start_worker()
    w2.wait_ready()
    events_topic = system.topic("orders.events")
    eventually(
        lambda: any(
            p.startswith(events_topic) for p in w2.get("/health").json()["assignedPartitions"]
        ),
        60,
    )
    # Then every order is answered by both workers, no order counts an event twice
    for worker in (w1, w2):
        bodies = eventually(
            lambda w=worker: (  # type: ignore[misc]  # a lambda binding its loop variable
                (b := statuses(w, keys)) and all(r.status_code == 200 for r in b.values()) and b
            ),
            60,
        )
        assert [k for k, r in bodies.items() if counted_twice(r.json())] == []
    # And nothing was handled twice: w1 committed what it had done before handing partitions
    # over (Faust forgets the acknowledged offsets of revoked partitions before its own commit;
    # without DurableConsumer.on_partitions_revoked, w2 redid w1's whole backlog there)
    lines = [line for w in (w1, w2) for line in w.audit_lines()]
    created = sum('"eventType":"OrderCreated"' in ln and '"forwardedTo"' not in ln for ln in lines)
    assert created == len(keys), f"{created - len(keys)} OrderCreated records handled twice"
