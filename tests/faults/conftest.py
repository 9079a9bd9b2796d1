"""Fault scenarios start their own brokers: one per test, stopped (or killed) by the test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from localkafka.broker import Broker


@pytest.fixture()
def broker(tmp_path: Path) -> Iterator[Broker]:
    b = Broker.isolated(tmp_path / "kafka")
    b.start()
    try:
        yield b
    finally:
        b.stop()
