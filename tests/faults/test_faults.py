"""Fault scenarios on real brokers and real worker processes (``make faults``). Workers run pinned
to one core where kills are involved, so kill windows land where they land on a slow machine.

Each prints one line at the end: orders sent, terminal, lost, duplicated effects, time to drain.
"""

from __future__ import annotations

import random
import time
from pathlib import Path
from typing import Any

import pytest

from localkafka.broker import Broker
from localkafka.cluster import Cluster
from tests.faults.harness import (
    TWO_WORKERS,
    Report,
    Traffic,
    finish,
    health_lines,
    mid_stream,
    started,
    under_load,
)
from tests.faults.kill_loop import run_once
from tests.support.system import System

pytestmark = pytest.mark.timeout(1800)


def test_kill_9_loop_on_slowed_workers(broker: Broker, tmp_path: Path) -> None:
    """The operator's stress (five kills at random during 20 s of traffic at 150 orders/s, fast
    restarts), three rounds on workers pinned to one core: every order ends once, nothing waits
    uncommitted, no partition stalls, replay agrees (``make soak`` runs twenty)."""
    for run in range(3):
        report = run_once(broker, tmp_path / f"run{run}", seed=17 + run, cpus="0", orders=3000)
        assert not report.lost and not report.duplicated, report.line()


def test_twenty_kill_9_under_load(broker: Broker, tmp_path: Path) -> None:
    system = started(System(broker.bootstrap, tmp_path, settings=TWO_WORKERS, cpus="0"))
    traffic = Traffic(orders=6000, seed=101)
    rng = random.Random(7)
    kills, began = 0, time.monotonic()
    with under_load(system, traffic) as sent:
        while kills < 20:
            time.sleep(rng.uniform(2.0, 6.0))
            victim = rng.choice(system.workers)
            victim.kill()  # kill -9 of the worker's process group
            kills += 1
            victim.start()  # a supervisor would restart it; its state is on disk and in Kafka
        sending = time.monotonic() - began
        sent()
        report = Report("kill -9 x20", notes={"kills": kills, "killing_for": f"{sending:.0f}s"})
        finish(report, system, traffic)
    assert not report.lost and not report.duplicated, report.line()


def test_the_broker_stops_and_restarts_mid_stream(broker: Broker, tmp_path: Path) -> None:
    system = started(System(broker.bootstrap, tmp_path, settings=TWO_WORKERS))

    def restart() -> dict[str, Any]:
        broker.stop()
        down = time.monotonic()
        time.sleep(10)
        broker.start()
        return {"outage": f"{time.monotonic() - down:.0f}s"}

    report = mid_stream(system, Traffic(orders=2000, seed=202, rate=200), "broker restart", restart)
    assert report.notes["workers_alive"] == 2, "a worker died with the broker"
    assert not report.lost and not report.duplicated, report.line()


def test_one_of_three_brokers_killed_mid_stream(tmp_path: Path) -> None:
    durable = {**TWO_WORKERS, "ORDERS_TOPIC_REPLICATION": "3", "ORDERS_MIN_INSYNC_REPLICAS": "2"}
    with Cluster(size=3, base_dir=tmp_path / "cluster") as cluster:
        system = started(System(cluster.bootstrap, tmp_path, settings=durable))

        def kill_one() -> dict[str, Any]:
            cluster.kill(1)  # kill -9 of one node; it stays down
            return {"nodes_up": 2}

        traffic = Traffic(orders=2000, seed=303, rate=200)
        report = mid_stream(system, traffic, "1 of 3 brokers killed", kill_one)
    assert not report.lost and not report.duplicated, report.line()


def test_sigterm_under_load_finishes_in_flight_work(broker: Broker, tmp_path: Path) -> None:
    system = started(System(broker.bootstrap, tmp_path, settings=TWO_WORKERS))
    traffic = Traffic(orders=3000, seed=505, rate=300)
    with under_load(system, traffic) as sent:
        time.sleep(10)
        w = system.workers[0]
        asked = time.monotonic()
        code = w.terminate(90)  # SIGTERM: stop fetching, finish, flush, commit
        stop_took = time.monotonic() - asked
        [drained] = [d for d in health_lines(w, "drained") if d["during"] == "stop"]
        w.start()
        sent()
        report = Report("SIGTERM under load", notes={
            "exit": code, "stop_took": f"{stop_took:.1f}s", "in_flight": drained["inFlight"],
            "finished": drained["finished"], "committed": drained["committed"],
        })  # fmt: skip
        finish(report, system, traffic)
    assert code == 0 and drained["unfinished"] == 0, drained
    assert report.notes["reprocessed"].startswith("0/"), report.line()  # committed before leaving
    assert not report.lost and not report.duplicated, report.line()


def test_kill_9_at_the_record_cache_boundaries(broker: Broker, tmp_path: Path) -> None:
    """The moments a record cache adds, hit on purpose rather than by chance: a worker kills
    itself (``ORDERS_FAULT_KILL``, a real SIGKILL) right after a commit's flush is acknowledged
    and before its offsets are committed, right after a table write lands in the cache and
    before it is flushed, and right after the saga's events are on the broker while its write is
    not (``replays_alike``); nine times, on both workers in turn, under load."""
    system = started(System(broker.bootstrap, tmp_path, settings=TWO_WORKERS, cpus="0"))
    traffic = Traffic(orders=6000, seed=606, rate=150)
    rng = random.Random(66)
    points = [f"flushed:{rng.randint(1, 3)}" if i % 3 == 1 else
              f"{('written', 'sent')[i % 3 // 2]}:{rng.randint(50, 800)}"
              for i in range(9)]  # fmt: skip
    with under_load(system, traffic) as sent:
        time.sleep(8)  # the simulator's setup and settle: orders flow
        for i, point in enumerate(points):
            victim = system.workers[(i // 2) % 2]  # each point on each worker in turn
            victim.kill()  # armed only at a start
            victim.extra_env["ORDERS_FAULT_KILL"] = point
            logged = victim.log_path.stat().st_size
            victim.start()
            assert victim.proc is not None
            code = victim.proc.wait(180)
            assert code == -9, f"{victim.name} armed at {point} ended with {code}"
            with victim.log_path.open("rb") as log:  # what this life of the worker wrote
                log.seek(logged)
                assert f"drill: kill -9 at {point.replace(':', ' #')}".encode() in log.read()
            victim.extra_env.pop("ORDERS_FAULT_KILL")
            victim.start()  # restarted unarmed, as a supervisor would
        sent()
        report = Report("kill -9 at cache boundaries", notes={"kills": " ".join(points)})
        finish(report, system, traffic)
    assert not report.lost and not report.duplicated, report.line()
