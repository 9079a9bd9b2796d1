"""The tables' record cache (app/runtime/record_cache.py) on a real worker and broker: writes held
in memory, one changelog record per key at a flush, an HTTP answer only once its value is on the
broker, nothing lost or counted twice when a worker dies with writes held or flushed and not
committed."""

from __future__ import annotations

import collections
import json
import time

from domain import simulation
from tests.support.kafka import produce, read_topic
from tests.support.shop import TERMINAL
from tests.support.system import System, Worker, eventually

NEVER_COMMITS = {"BROKER_COMMIT_INTERVAL": "3600", "BROKER_COMMIT_EVERY": "1000000"}


def changelog(system: System, table: str) -> str:
    return f"{system.env['ORDERS_APP_ID']}-{table}-changelog"


def decided(worker: Worker, keys: list[str]) -> dict[str, dict]:
    """Every order's status once every one is terminal."""

    def all_terminal() -> dict[str, dict] | None:
        bodies = {k: worker.get(f"/orders/{k}/status") for k in keys}
        if all(r.status_code == 200 and r.json()["status"] in TERMINAL for r in bodies.values()):
            return {k: r.json() for k, r in bodies.items()}
        return None

    return eventually(all_terminal, 90)


def ended(system: System, keys: list[str]) -> None:
    """Wait until ``orders.events`` holds an outcome of every order (no HTTP read: a read asks
    for the flush of what it answers, ``app.runtime.settled``)."""
    outcomes = {"OrderConfirmed", "OrderCancelled", "OrderRejected"}

    def all_ended() -> bool:
        records = read_topic(system.bootstrap, system.topic("orders.events"), 1, timeout=5)
        done = {r.key.decode() for r in records if json.loads(r.value)["eventType"] in outcomes}
        return done >= set(keys)

    eventually(all_ended, 90)


def simulated(system: System, count: int, seed: int) -> list[str]:
    recs = list(simulation.orders(count, seed=seed))
    produce(system.bootstrap, system.topic("orders.events"),
            [(r.key.encode(), r.value, None) for r in recs])  # fmt: skip
    return [r.key for r in recs]


def test_writes_are_held_in_the_cache_and_flushed_once_per_key_on_stop(system: System) -> None:
    # Given a worker that never commits (so never flushes but on its size bound, not reached)
    w1 = system.start_worker(**NEVER_COMMITS)
    w1.wait_ready()
    # When 40 orders go through their saga (each status written at least twice)
    keys = simulated(system, 40, seed=23)
    ended(system, keys)
    # Then the changelog has none of the statuses: they are held in the worker's cache
    assert read_topic(system.bootstrap, changelog(system, "order-status"), 1, timeout=3) == []
    # When it stops (SIGTERM): the drain flushes
    assert w1.terminate() == 0
    # Then the changelog holds exactly one record per order, its last value
    records = read_topic(system.bootstrap, changelog(system, "order-status"), len(keys))
    per_key = collections.Counter(r.key.decode() for r in records)
    assert per_key == dict.fromkeys(keys, 1)
    # And a worker restoring from it answers each order's last value
    w2 = system.start_worker()
    w2.wait_ready()
    last = {r.key.decode(): json.loads(r.value)["status"] for r in records}
    assert {k: s["status"] for k, s in decided(w2, keys).items()} == last


def test_an_http_answer_is_on_the_broker_before_it_is_given(system: System) -> None:
    # Given a worker that never commits, so a status only a handler wrote stays in its cache
    w1 = system.start_worker(**NEVER_COMMITS)
    w1.wait_ready()
    keys = simulated(system, 20, seed=41)
    ended(system, keys)
    # When a client reads every order's outcome over HTTP
    statuses = decided(w1, keys)
    # Then each answer was on the changelog before it was given: a kill -9 now takes none back
    records = read_topic(system.bootstrap, changelog(system, "order-status"), len(keys), 5)
    last = {r.key.decode(): json.loads(r.value)["status"] for r in records}
    assert last == {k: s["status"] for k, s in statuses.items()}
    w1.kill()
    w2 = taken_over(system)
    assert {k: s["status"] for k, s in decided(w2, keys).items()} == last


def died_holding_writes(system: System, seed: int, **env: str) -> tuple[list[str], int]:
    """A worker that decided 60 orders without committing, then was killed: the orders, and the
    order-status changelog records it had flushed."""
    w1 = system.start_worker(**NEVER_COMMITS, **env)
    w1.wait_ready()
    keys = simulated(system, 60, seed=seed)
    ended(system, keys)
    time.sleep(1)  # what was flushed leaves the producer
    w1.kill()
    return keys, len(read_topic(system.bootstrap, changelog(system, "order-status"), 1, timeout=3))


def taken_over(system: System) -> Worker:
    w2 = system.start_worker()
    w2.wait_ready()
    return w2


def counted_twice(status: dict) -> bool:
    types = [e["type"] for e in status["events"]]
    return types.count("OrderCreated") != 1 or sum(types.count(t) for t in
        ("OrderConfirmed", "OrderCancelled", "OrderRejected")) != 1  # fmt: skip


def test_a_kill_with_writes_held_and_nothing_committed_loses_nothing(system: System) -> None:
    # Given a worker killed with every write still in its cache (nothing flushed, nothing
    # committed), When another worker takes over
    keys, flushed = died_holding_writes(system, seed=29)
    assert flushed == 0, "the worker flushed before it was killed"
    w2 = taken_over(system)
    # Then it is delivered the records again and every order ends, each event counted once
    assert [k for k, s in decided(w2, keys).items() if counted_twice(s)] == []


def test_a_kill_between_a_flush_and_its_commit_counts_nothing_twice(system: System) -> None:
    # Given a worker whose cache flushed every 7 keys (its size bound) but never committed,
    # killed: its changelogs hold writes past the committed offsets
    keys, flushed = died_holding_writes(system, seed=31, ORDERS_TABLE_CACHE_RECORDS="7")
    assert flushed > 0, "the size bound flushed nothing"
    w2 = taken_over(system)
    # When another worker restores those writes and is delivered every record again
    # Then every order ends, each event counted once
    assert [k for k, s in decided(w2, keys).items() if counted_twice(s)] == []


def test_a_revoke_hands_over_the_writes_it_held(system: System) -> None:
    # Given a worker holding every write in its cache (it never commits on its own)
    w1 = system.start_worker(**NEVER_COMMITS)
    w1.wait_ready()
    keys = simulated(system, 40, seed=37)
    statuses = decided(w1, keys)
    # When a second worker joins and takes partitions over (w1 flushes and commits on revoke)
    w2 = system.start_worker()
    w2.wait_ready()
    events = system.topic("orders.events")
    eventually(lambda: w1.owns(events) and w2.owns(events), 60)
    # Then both answer every order as w1 did, and no record was handled twice
    assert decided(w2, keys) == statuses
    assert decided(w1, keys) == statuses
    lines = [line for w in (w1, w2) for line in w.audit_lines()]
    created = sum('"eventType":"OrderCreated"' in ln and '"forwardedTo"' not in ln for ln in lines)
    assert created == len(keys), f"{created - len(keys)} OrderCreated records handled twice"
