"""GET /health tells the truth when the broker goes away and comes back."""

from __future__ import annotations

from pathlib import Path

from localkafka import Broker
from tests.support.system import System, eventually


def test_health_is_503_with_reason_while_the_broker_is_down(tmp_path: Path) -> None:
    # Given a worker on a broker of its own
    broker = Broker.isolated(tmp_path / "kafka")
    system = System(broker.start(), tmp_path / "system")
    try:
        system.create_topics()
        worker = system.start_worker()
        worker.wait_ready()
        # When the broker stops
        broker.stop()
        # Then /health answers 503 naming the broker, with Retry-After
        resp = eventually(lambda: (r := worker.get("/health")).status_code == 503 and r, 60)
        body = resp.json()
        assert body["error"] == "unavailable" and "broker unreachable" in body["detail"]
        assert resp.headers["Retry-After"].isdigit()
        # And when it is back, the same worker is healthy again
        broker.start()
        eventually(lambda: worker.get("/health").status_code == 200, 90)
    finally:
        system.stop_all()
        broker.stop()
