"""Shared fixtures: a real Kafka broker (localkafka) and isolated deployments of the app."""

from __future__ import annotations

import signal
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.system import System

pytest_plugins = ["localkafka.pytest_plugin"]


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
