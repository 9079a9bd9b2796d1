"""The health log and the audit trail: JSON lines, errors of any logger included."""

from __future__ import annotations

import json
import logging
from pathlib import Path

from app.observability import logs


def test_lines_errors_and_rates_reach_the_files(tmp_path: Path) -> None:
    audit, health = tmp_path / "w" / "audit.jsonl", tmp_path / "w" / "health.jsonl"
    logs.configure(audit, health)
    try:
        logs.audit({"topic": "orders.events", "offset": 7, "valid": True})
        logs.health("start", worker="http://w1")
        # what Faust's worker does with the handlers given as `loghandlers`
        logging.getLogger("some.library").addHandler(logs.ErrorsToHealthLog())
        logging.getLogger("some.library").error("disk %s", "full")
        logs.counters.incr("received", 4)
        logs.counters.incr("valid", 3)
        rates = logs.counters.rates()
    finally:
        logs.flush()
    assert json.loads(audit.read_text()) == {"topic": "orders.events", "offset": 7, "valid": True}
    lines = [json.loads(line) for line in health.read_text().splitlines()]
    assert [line["event"] for line in lines] == ["start", "error"]
    assert lines[1]["logger"] == "some.library" and lines[1]["error"] == "disk full"
    assert all("ts" in line for line in lines)
    assert rates["successRate"] == 0.75 and rates["totals"]["received"] >= 4


def test_nothing_is_created_until_a_line_is_written(tmp_path: Path) -> None:
    logs.configure(tmp_path / "a" / "audit.jsonl", tmp_path / "a" / "health.jsonl")
    logs.flush()
    assert not (tmp_path / "a").exists()
