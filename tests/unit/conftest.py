"""Fixtures of the tests that run agents in Faust's test context (no broker)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from yarl import URL

from app.application import app
from app.runtime import intake
from app.runtime.sends import failed_sends, unacked_sends


@pytest.fixture(scope="module")
def memory_store() -> None:
    """Tables in memory, before their stores are first used (a module's tests share them)."""
    app.conf.store = URL("memory://")
    app.finalize()
    app.flow_control.resume()


@pytest.fixture(autouse=True)
def fresh_sends() -> Iterator[None]:
    """Each test on its own event loop starts with no send pending and no release under way (a
    lane's last release, left by a test whose writes were never acknowledged, would hold it)."""
    yield
    intake._lanes.clear()
    unacked_sends.clear()
    failed_sends.clear()
