"""The app the runtime's reader tests run on: an ``OrdersApp`` (the app's flow control), no
broker, its flow running."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from app.runtime.durability import OrdersApp
from app.runtime.inflight import in_flight


@pytest.fixture()
def app() -> Iterator[OrdersApp]:
    app = OrdersApp("test-batches", broker="kafka://127.0.0.1:1", web_enabled=False)
    app.flow_control.resume()
    yield app
    assert in_flight.count == 0  # nothing a test left in flight leaks into the next one
