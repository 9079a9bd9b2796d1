"""The windows onto a running system, as a user opens them: /metrics and /stats on two workers, a
real Prometheus scraping both, the terminal monitor in tmux, and the live page in Chromium — each
showing numbers that move while the simulator runs."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import sync_playwright
from prometheus_client.parser import text_string_to_metric_families

from tests.support.system import REPO, System, Worker, eventually, free_port

Busy = tuple[System, Worker, Worker]


@pytest.fixture(scope="module")
def busy(kafka_bootstrap: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Busy]:
    """Two workers sharing the partitions, and the simulator placing orders for the whole module
    (10 orders/s, a corrupt record every 20)."""
    system = System(kafka_bootstrap, Path(tmp_path_factory.mktemp("windows")))
    system.create_topics()
    w1, w2 = system.start_worker(), system.start_worker()
    sim = None
    try:
        w1.wait_ready()
        w2.wait_ready()
        events = system.topic("orders.events")
        eventually(lambda: w1.owns(events) and w2.owns(events), 60)
        with (system.root / "simulate.log").open("wb") as log:
            sim = subprocess.Popen(
                [sys.executable, "-m", "faust", "-A", "app", "simulate", "--orders", "20000",
                 "--rate", "10", "--seed", "7", "--users", "30", "--corrupt-ratio", "0.05",
                 "--settle", "2"],
                cwd=REPO, env=system.env, stdout=log, stderr=subprocess.STDOUT,
            )  # fmt: skip
        yield system, w1, w2
    finally:
        if sim is not None:
            sim.kill()
            sim.wait(10)
        system.stop_all()


def metric_values(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def received(worker: Worker) -> int:
    return int(worker.get("/stats").json()["records"]["received"])


def test_metrics_and_stats_on_both_workers_move_together(busy: Busy) -> None:
    _, w1, w2 = busy
    for worker in (w1, w2):
        # Given a worker handling the simulator's traffic
        first = eventually(lambda w=worker: received(w) > 0 and w.get("/stats").json(), 60)  # type: ignore[misc]  # a lambda binding its loop variable
        # When /metrics is read between two reads of /stats
        resp = worker.get("/metrics")
        second = worker.get("/stats").json()
        # Then it is Prometheus text with Faust's sensor and every business metric
        assert resp.status_code == 200
        assert resp.headers["Content-Type"].startswith("text/plain; version=0.0.4")
        values = metric_values(resp.text)
        names = {name for name, _ in values}
        for name in ("faust_messages_received_total", "faust_table_operations_total",
                     "orders_records_total", "orders_finished_total",
                     "orders_saga_duration_seconds_bucket", "orders_saga_duration_seconds_count",
                     "orders_dlq_messages_total", "orders_dlq_size", "orders_consumer_lag",
                     "orders_audit_lines_total"):  # fmt: skip
            assert name in names, name
        lagging = {dict(lbl)["topic"] for n, lbl in values if n == "orders_consumer_lag"}
        assert busy[0].topic("orders.events") in lagging
        # And the same numbers as /stats: read between them, so between them
        scraped = values[("orders_records_total", (("result", "received"),))]
        assert first["records"]["received"] <= scraped <= second["records"]["received"]
        written = values[("orders_audit_lines_total", (("result", "written"),))]
        assert first["audit"]["written"] <= written <= second["audit"]["written"]
        # And the counts move while the simulator runs
        eventually(lambda w=worker, n=second["records"]["received"]: received(w) > n, 30)  # type: ignore[misc]  # a lambda binding its loop variable

    # Then, summed over both workers: orders finish, sagas end with a duration, bad records
    # are counted by reason, the circuit of the EUR acquirer is closed
    def cluster() -> dict[str, Any]:
        return dict(w1.get("/stats/cluster").json())

    body = eventually(
        lambda: (
            (c := cluster())["totals"]["orders"]["confirmed"] > 0
            and c["totals"]["dlqSent"] > 0
            and c
        ),
        90,
    )
    assert len(body["workers"]) == 2 and body["totals"]["down"] == []
    assert sum(body["totals"]["sagas"].values()) > 0
    sagas = [w["sagas"]["durationSeconds"]["confirmed"] for w in body["workers"]]
    assert sum(s["count"] for s in sagas) > 0 and sum(s["sum"] for s in sagas) > 0
    # (the DLQ's size is asked of the broker at most every 2 s)
    eventually(lambda: cluster()["totals"]["dlqSize"] >= body["totals"]["dlqSent"], 10)
    owners = [w["partitions"]["active"].get("orders.events", []) for w in body["workers"]]
    assert sorted(p for ps in owners for p in ps) == [0, 1, 2]
    eventually(lambda: any(w.get("/stats").json()["circuits"].get("gateway-EUR") == "closed"
                           for w in (w1, w2)), 60)  # fmt: skip
    # And an unknown path under /stats is a JSON 404
    missing = w1.get("/stats/nope")
    assert missing.status_code == 404 and set(missing.json()) >= {"error", "detail"}


def prometheus_query(port: int, query: str) -> list[dict[str, Any]]:
    resp = httpx.get(f"http://127.0.0.1:{port}/api/v1/query", params={"query": query}, timeout=5)
    resp.raise_for_status()
    return list(resp.json()["data"]["result"])


def test_prometheus_scrapes_both_workers(busy: Busy) -> None:
    system, w1, w2 = busy
    port = free_port()
    env = {**os.environ, "PROM_PORT": str(port), "PROM_DATA": str(system.root / "prometheus"),
           "PROM_TARGETS": f"127.0.0.1:{w1.port},127.0.0.1:{w2.port}"}  # fmt: skip
    script = [str(REPO / "scripts" / "prometheus.sh")]
    # Given a real Prometheus started by the script, scraping both workers every 2 s
    subprocess.run([*script, "start"], env=env, check=True, timeout=60)
    try:
        # Then both targets are up
        eventually(lambda: len([r for r in prometheus_query(port, 'up{job="orders"}')
                                if r["value"][1] == "1"]) == 2, 30)  # fmt: skip

        # And the records received over both workers grow while the simulator runs
        def total() -> float:
            result = prometheus_query(port, 'sum(orders_records_total{result="received"})')
            return float(result[0]["value"][1]) if result else 0.0

        before = eventually(total, 30)
        eventually(lambda: total() > before, 30)
        finished = prometheus_query(port, "sum(orders_finished_total) by (outcome)")
        assert {r["metric"]["outcome"] for r in finished} >= {"CONFIRMED", "CANCELLED"}
        assert prometheus_query(port, "faust_messages_received_total")
    finally:
        subprocess.run([*script, "stop"], env=env, check=False, timeout=30)


def test_monitor_in_tmux_shows_moving_numbers_and_quits_on_q(busy: Busy) -> None:
    system, w1, w2 = busy
    tmux = ["tmux", "-L", f"monitor-{uuid.uuid4().hex[:8]}"]  # a server of its own
    rc = system.root / "monitor.rc"
    command = (f"{sys.executable} -m faust -A app monitor --url {w1.url} --url {w2.url}; "
               f"echo $? > {rc}")  # fmt: skip
    # Given the monitor running in a 200x60 terminal
    subprocess.run([*tmux, "new-session", "-d", "-s", "mon", "-x", "200", "-y", "60",
                    "-c", str(REPO), command], check=True, env=os.environ)  # fmt: skip
    try:

        def screen() -> str:
            return subprocess.run([*tmux, "capture-pane", "-p", "-t", "mon"], check=True,
                                  capture_output=True, text=True).stdout  # fmt: skip

        def records() -> int:
            found = re.search(r"records (\d+)", screen())
            return int(found.group(1)) if found else 0

        # Then it shows both workers, the partition owners, the health log and the totals
        first = eventually(records, 30)
        text = screen()
        shown_words = ("messages/s", "success", "DLQ", "orders.events", "health log", "confirmed")
        for shown in (f"127.0.0.1:{w1.port}", f"127.0.0.1:{w2.port}", "workers 2/2", *shown_words):
            assert shown in text, f"{shown!r} not on the screen:\n{text}"
        # And the numbers move while the simulator runs
        eventually(lambda: records() > first, 30)
        # When q is pressed, it exits cleanly
        subprocess.run([*tmux, "send-keys", "-t", "mon", "q"], check=True)
        eventually(lambda: rc.exists() and rc.read_text().strip() == "0", 15)
    finally:
        subprocess.run([*tmux, "kill-server"], check=False)


def test_live_page_in_chromium(busy: Busy, tmp_path: Path) -> None:
    _, w1, _ = busy
    chromium = shutil.which("chromium")
    assert chromium, "Debian's chromium is missing: run `make sysdeps`"
    errors: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            # Given the page of one worker
            page.goto(w1.url + "/")
            page.wait_for_function("document.getElementById('updated').textContent !== ''")
            # Then it shows the whole system: both workers, statuses, customers, the DLQ
            page.wait_for_function(
                "document.getElementById('workers').textContent.startsWith('2 of 2')"
            )
            page.wait_for_selector("#recent tr:nth-child(2)", timeout=30_000)
            page.wait_for_selector("#customers tr:nth-child(2)", timeout=30_000)
            assert page.inner_text("#dlq-size").isdigit()
            # And the numbers change while the simulator runs
            before = int(page.inner_text("#confirmed"))
            page.wait_for_function(
                f"Number(document.getElementById('confirmed').textContent) > {before}",
                timeout=30_000,
            )
            shot = tmp_path / "live-page.png"
            page.screenshot(path=str(shot), full_page=True)
            if os.environ.get("UPDATE_SCREENSHOT"):
                shutil.copy(shot, REPO / "docs" / "live-page.png")
        finally:
            browser.close()
    assert shot.stat().st_size > 10_000
    assert errors == []
