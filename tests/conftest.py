"""Shared fixtures: a real Kafka broker (localkafka) and isolated deployments of the app."""

from __future__ import annotations

import signal
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.system import System, Worker

pytest_plugins = ["localkafka.pytest_plugin"]
TESTS = Path(__file__).parent
# the folder says what a test needs: ``pytest -m "not integration and not e2e"`` needs no broker
MARKS = {"integration": pytest.mark.integration, "e2e": pytest.mark.e2e}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        mark = MARKS.get(item.path.relative_to(TESTS).parts[0])
        if mark is not None:
            item.add_marker(mark)


def pytest_configure(config: pytest.Config) -> None:
    """A SIGTERM (a CI time limit, a Ctrl-C of make) unwinds the fixtures, so the brokers and
    workers they started are stopped rather than orphaned."""
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))


@pytest.fixture()
def system(kafka_bootstrap: str, tmp_path: Path) -> Iterator[System]:
    """Topics created under a fresh prefix; workers started by the test are killed after it."""
    sys_ = System(kafka_bootstrap, tmp_path)
    sys_.create_topics()
    try:
        yield sys_
    finally:
        sys_.stop_all()
    assert not sys_.undeclared_sends()  # every send an agent made is in docs/asyncapi.yaml


FAST = {
    "ORDERS_SAGA_TIMEOUT": "4",
    "ORDERS_RETRY_BASE": "0.1",
    "ORDERS_RETRY_MAX_DELAY": "0.5",
    "ORDERS_BREAKER_THRESHOLD": "2",
    "ORDERS_BREAKER_RESET": "60",
    # a module's tests share one worker, and some stall a partition on purpose (the gateway
    # outage holds payments for seconds): admission control would refuse the next test's
    # orders (seen: a checkout answered 429). It has its own tests (tests/e2e/test_admission.py).
    "ORDERS_ADMISSION_BACKLOG": "0",
}


@pytest.fixture(scope="module")
def shop(
    kafka_bootstrap: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[System, Worker]]:
    """One worker with short deadlines and retries, shared by this module's tests."""
    system = System(kafka_bootstrap, Path(tmp_path_factory.mktemp("shop")))
    system.create_topics()
    worker = system.start_worker(**FAST)
    try:
        worker.wait_ready()
        yield system, worker
    finally:
        system.stop_all()
    assert not system.undeclared_sends()  # every send an agent made is in docs/asyncapi.yaml
