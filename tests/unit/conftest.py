"""Fixtures of the tests that run agents in Faust's test context (no broker)."""

from __future__ import annotations

import pytest
from yarl import URL

from app.application import app


@pytest.fixture(scope="module")
def memory_store() -> None:
    """Tables in memory, before their stores are first used (a module's tests share them)."""
    app.conf.store = URL("memory://")
    app.finalize()
    app.flow_control.resume()
