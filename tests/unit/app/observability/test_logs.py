"""The health log and the audit trail: JSON lines, errors of any logger included."""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path
from typing import Any

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
        logs.counters.rates()  # rates are since the last call: other tests counted before
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


def test_audit_lines_written_and_recent_health_lines_are_kept(tmp_path: Path) -> None:
    logs.configure(tmp_path / "audit.jsonl", tmp_path / "health.jsonl")
    try:
        for n in range(3):
            logs.audit({"offset": n})
        logs.health("start", worker="http://w1")
        deadline = time.monotonic() + 5
        while logs.audit_lines()[0] < 3 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert logs.audit_lines() == (3, 0)
        assert logs.recent_health[-1]["event"] == "start"
    finally:
        logs.flush()


def test_the_audit_writer_reports_a_failed_write_and_keeps_going(tmp_path) -> None:
    (tmp_path / "audit.jsonl").mkdir()  # a folder where the file should be: open() fails
    writer = logs.JsonLines(tmp_path / "audit.jsonl")
    writer.put({"offset": 1})
    writer.close()
    assert writer.failed == 1 and not writer._thread.is_alive()


def test_the_audit_writer_wakes_once_for_the_lines_of_its_linger(tmp_path: Path) -> None:
    def batches_of(linger: float) -> list[int]:
        batches: list[int] = []

        class Counted(logs.JsonLines):
            def _write(self, out: Any, batch: list[bytes]) -> Any:
                batches.append(len([line for line in batch if line]))
                return super()._write(out, batch)

        writer = Counted(tmp_path / f"audit-{linger}.jsonl", linger=linger)
        for n in range(5):  # a line every 10 ms: the writer is idle between them
            writer.put({"offset": n})
            time.sleep(0.01)
        writer.close()
        assert len((tmp_path / f"audit-{linger}.jsonl").read_text().splitlines()) == 5
        return batches

    assert batches_of(1.0) == [5]  # all within the first line's linger: one write
    assert len(batches_of(0.0)) > 1  # without one, the writer woke for lines one by one
