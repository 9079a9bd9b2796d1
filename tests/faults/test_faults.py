"""Fault scenarios on real brokers and real worker processes (``make faults``, ~15 min).

Each prints one line at the end: orders sent, terminal, lost, duplicated effects, time to drain.
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from localkafka.broker import Broker
from localkafka.cluster import Cluster
from tests.faults.harness import Report, Traffic, check, drain
from tests.support.system import System

TWO_WORKERS = {"ORDERS_HEALTH_INTERVAL": "5"}
pytestmark = pytest.mark.timeout(1800)


def started(system: System, count: int = 2) -> System:
    system.create_topics()
    for _ in range(count):
        system.start_worker()
    for w in system.workers:
        w.wait_ready(120)
    return system


@pytest.fixture()
def broker(tmp_path: Path) -> Iterator[Broker]:
    b = Broker.isolated(tmp_path / "kafka")
    b.start()
    try:
        yield b
    finally:
        b.stop()


def finish(report: Report, system: System, traffic: Traffic, timeout: float = 900) -> Report:
    seconds, seen = drain(system, traffic.order_ids(), timeout)
    report.drain_seconds = seconds
    check(report, system, traffic, seen)
    report.print()
    return report


def test_twenty_kill_9_under_load(broker: Broker, tmp_path: Path) -> None:
    system = started(System(broker.bootstrap, tmp_path, settings=TWO_WORKERS))
    traffic = Traffic(orders=6000, seed=101)
    rng = random.Random(7)
    sender = traffic.start(system)
    kills, began = 0, time.monotonic()
    try:
        while kills < 20:
            time.sleep(rng.uniform(2.0, 6.0))
            victim = rng.choice(system.workers)
            victim.kill()  # kill -9 of the worker's process group
            kills += 1
            victim.start()  # a supervisor would restart it; its state is on disk and in Kafka
        sending = time.monotonic() - began
        assert sender.wait(600) == 0, Traffic.log(system)
        report = Report("kill -9 x20", notes={"kills": kills, "killing_for": f"{sending:.0f}s"})
        finish(report, system, traffic)
    finally:
        if sender.poll() is None:
            sender.kill()
        system.stop_all()
    assert not report.lost and not report.duplicated, report.line()


def test_the_broker_stops_and_restarts_mid_stream(broker: Broker, tmp_path: Path) -> None:
    system = started(System(broker.bootstrap, tmp_path, settings=TWO_WORKERS))
    traffic = Traffic(orders=2000, seed=202, rate=200)
    sender = traffic.start(system)
    try:
        time.sleep(8)  # setup, settle, then orders flowing
        broker.stop()
        down = time.monotonic()
        time.sleep(10)
        broker.start()
        outage = time.monotonic() - down
        assert sender.wait(600) == 0, Traffic.log(system)
        report = Report("broker restart", notes={"outage": f"{outage:.0f}s"})
        finish(report, system, traffic)
        alive = [w.name for w in system.workers if w.proc and w.proc.poll() is None]
        report.notes["workers_alive"] = len(alive)
    finally:
        if sender.poll() is None:
            sender.kill()
        system.stop_all()
    assert len(alive) == 2, "a worker died with the broker"
    assert not report.lost and not report.duplicated, report.line()


def test_one_of_three_brokers_killed_mid_stream(tmp_path: Path) -> None:
    with Cluster(size=3, base_dir=tmp_path / "cluster") as cluster:
        durable = {
            **TWO_WORKERS,
            "ORDERS_TOPIC_REPLICATION": "3",
            "ORDERS_MIN_INSYNC_REPLICAS": "2",
        }
        system = started(System(cluster.bootstrap, tmp_path, settings=durable))
        traffic = Traffic(orders=2000, seed=303, rate=200)
        sender = traffic.start(system)
        try:
            time.sleep(8)
            cluster.kill(1)  # kill -9 of one node; it stays down
            assert sender.wait(600) == 0, Traffic.log(system)
            report = Report("1 of 3 brokers killed", notes={"nodes_up": 2})
            finish(report, system, traffic)
        finally:
            if sender.poll() is None:
                sender.kill()
            system.stop_all()
    assert not report.lost and not report.duplicated, report.line()
