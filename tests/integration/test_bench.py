"""``make bench`` still runs and still measures real work (no timing is asserted: the numbers are
for people, in the benchmark's output)."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path

from bench import raw_hop
from tests.support.system import REPO


def test_bench_anchor_jobs_run_and_their_output_is_checked(tmp_path: Path) -> None:
    jobs = "raw_forward,raw_stateful,faust_forward_ours,faust_stateful_ours"
    proc = subprocess.run(
        [sys.executable, "-m", "bench", "--parts", "anchors", "--jobs", jobs,
         "--messages", "3000", "--workdir", str(tmp_path)],
        cwd=REPO, capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    anchors = report["anchors"]
    assert set(anchors) == set(jobs.split(","))
    for name, result in anchors.items():
        # every job consumed the whole backlog and left, per user, what the input implies
        assert result["outputVerified"] is True, (name, result)
        assert result["messagesPerSecond"] > 0 and result["vsRawForward"] > 0
    assert anchors["raw_forward"]["vsRawForward"] == 1.0
    assert "Anchor jobs" in proc.stdout  # the table people read


def test_the_floor_of_a_hop_forwards_every_record_it_times(kafka_bootstrap: str) -> None:
    # a record that was not forwarded would hold the probe until its timeout: it raises then
    floor = asyncio.run(raw_hop.measure(kafka_bootstrap, rate=50, count=20))
    assert floor["records"] == 20
    assert 0 < floor["p50Ms"] <= floor["p99Ms"]
