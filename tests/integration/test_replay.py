"""Replay on a real broker: the read side rebuilt from the topics equals the live one, and a
difference is found and reported with a non-zero exit."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from domain.order_status import TERMINAL
from tests.conftest import FAST
from tests.support.system import REPO, System, Worker, eventually

ORDERS = 120


def all_terminal(w: Worker) -> list[dict]:
    items = w.get("/orders", params={"limit": "500"}).json()["items"]
    assert len(items) == ORDERS, len(items)
    assert all(i["status"] in TERMINAL for i in items), [i["status"] for i in items]
    return items


@pytest.fixture()
def tampered() -> Iterator[list]:
    """A read side that answers like a worker, except for one order's status: the list holds
    its URL; the test appends the worker it imitates."""
    target: list = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            worker: Worker = target[1]
            resp = httpx.get(worker.url + self.path, timeout=30)
            body = resp.content
            if self.path.startswith("/orders?"):
                page = resp.json()
                page["items"][0]["status"] = "CANCELLED" if page["items"][0]["status"] != \
                    "CANCELLED" else "CONFIRMED"  # fmt: skip
                body = json.dumps(page).encode()
            self.send_response(resp.status_code)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    target.append(f"http://127.0.0.1:{server.server_address[1]}")
    try:
        yield target
    finally:
        server.shutdown()


def test_replay_rebuilds_the_read_side_and_finds_differences(
    system: System, tmp_path: Path, tampered: list
) -> None:
    w = system.start_worker(**FAST)
    w.wait_ready()
    system.faust("simulate", "--orders", str(ORDERS), "--rate", "0", "--seed", "7",
                 "--corrupt-ratio", "0.05", "--users", "15", "--settle", "2")  # fmt: skip
    eventually(lambda: all_terminal(w), 120, interval=1)

    out = tmp_path / "replay.json"
    done = system.faust("replay", "--output", str(out), "--compare", w.url, "--quiet")
    assert "no difference" in done.stdout + done.stderr
    rebuilt = json.loads(out.read_text())
    assert len(rebuilt["orders"]) == ORDERS and len(rebuilt["users"]) >= 1
    assert rebuilt["stock"] and rebuilt["source"]["applied"] > ORDERS
    some = rebuilt["orders"][sorted(rebuilt["orders"])[0]]
    assert some == w.get(f"/orders/{some['orderId']}/status").json()

    tampered.append(w)  # the same read side with one status changed
    proc = subprocess.run(
        [sys.executable, "-m", "faust", "-A", "app", "replay", "--output", str(out),
         "--compare", tampered[0], "--quiet"],
        cwd=REPO, env=system.env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "1 differences with" in proc.stderr and "(replay) !=" in proc.stderr, proc.stderr
