"""Real worker processes (``faust -A app worker``) on a real broker, isolated per test."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, TypeVar

import httpx

REPO = Path(__file__).resolve().parents[2]
T = TypeVar("T")
# One client, kept alive, for every request the tests make to a worker: ``httpx.get`` builds a
# client (and its TLS context) per call, ~58 ms here, which made the 100 reads of a failover
# check take 6 s and the measured failover twice the real one.
HTTP = httpx.Client(timeout=10)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def eventually(
    check: Callable[[], T | Literal[False] | None], timeout: float = 30.0, interval: float = 0.25
) -> T:
    """Poll ``check`` until it returns a truthy value without raising; fail with the last error."""
    deadline = time.monotonic() + timeout
    last: Exception | None = None
    while time.monotonic() < deadline:
        try:
            result = check()
            if result:
                return result
            last = AssertionError(f"{check.__name__} returned {result!r}")
        except Exception as exc:
            last = exc
        time.sleep(interval)
    raise AssertionError(f"not true within {timeout}s: {last!r}") from last


@dataclass
class System:
    """One isolated deployment: its own topic prefix, consumer group and data folders."""

    bootstrap: str
    root: Path
    prefix: str = field(default_factory=lambda: f"t{uuid.uuid4().hex[:8]}.")
    workers: list[Worker] = field(default_factory=list)
    settings: dict[str, str] = field(default_factory=dict)  # ORDERS_… for every process
    cpus: str | None = None  # "0": every worker pinned to that core (taskset), to slow them down

    @property
    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            "BROKER_URL": f"kafka://{self.bootstrap}",
            "ORDERS_TOPIC_PREFIX": self.prefix,
            "ORDERS_APP_ID": f"orders-{self.prefix.rstrip('.')}",
            "ORDERS_HEALTH_INTERVAL": "2",
            "PYTHONUNBUFFERED": "1",
            **self.settings,
        }

    def topic(self, name: str) -> str:
        return self.prefix + name

    def faust(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        """Run a ``faust -A app`` command; raise with its output if it fails."""
        proc = subprocess.run(
            [sys.executable, "-m", "faust", "-A", "app", *args],
            cwd=REPO, env=self.env, capture_output=True, text=True, timeout=timeout, check=False,
        )  # fmt: skip
        if proc.returncode != 0:
            raise AssertionError(f"faust {' '.join(args)} failed:\n{proc.stdout}\n{proc.stderr}")
        return proc

    def create_topics(self) -> None:
        self.faust("create-topics")

    def start_worker(self, name: str | None = None, **env: str) -> Worker:
        worker = Worker(self, name or f"w{len(self.workers) + 1}", free_port(), env)
        self.workers.append(worker)
        worker.start()
        return worker

    def stop_all(self) -> None:
        for worker in self.workers:
            worker.kill()

    def undeclared_sends(self) -> list[str]:
        """Log lines of sends an agent made without declaring them (``app.runtime.senders``):
        the AsyncAPI document would not show them."""
        return [
            line
            for worker in self.workers
            if worker.log_path.exists()
            for line in worker.log_path.read_text(errors="replace").splitlines()
            if "undeclared send" in line
        ]


@dataclass
class Worker:
    system: System
    name: str
    port: int
    extra_env: dict[str, str] = field(default_factory=dict)
    proc: subprocess.Popen[bytes] | None = None
    headers: dict[str, str] = field(default_factory=dict)  # sent with every request (a key)

    @property
    def datadir(self) -> Path:
        return self.system.root / self.name

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def audit_path(self) -> Path:
        return self.datadir / "audit.jsonl"

    @property
    def log_path(self) -> Path:
        return self.system.root / f"{self.name}.log"

    def start(self) -> None:
        self.datadir.mkdir(parents=True, exist_ok=True)
        pinned = ["taskset", "-c", self.system.cpus] if self.system.cpus else []
        cmd = [
            *pinned,
            sys.executable,
            "-m",
            "faust",
            "-A",
            "app",
            "--datadir",
            str(self.datadir),
            "worker",
            "-l",
            "info",
            "--web-port",
            str(self.port),
            "--web-host",
            "127.0.0.1",
        ]
        with self.log_path.open("ab") as log:
            self.proc = subprocess.Popen(
                cmd,
                cwd=REPO,
                env={**self.system.env, **self.extra_env},
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        headers = {**self.headers, **kwargs.pop("headers", {})}
        return HTTP.get(self.url + path, headers=headers, **kwargs)

    def post(self, path: str, **kwargs: Any) -> httpx.Response:
        headers = {**self.headers, **kwargs.pop("headers", {})}
        return HTTP.post(self.url + path, headers=headers, **kwargs)

    def wait_ready(self, timeout: float = 60) -> None:
        def ready() -> bool:
            if self.proc is not None and self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited: {self.log_tail()}")
            return self.get("/health").status_code == 200

        try:
            eventually(ready, timeout)
        except AssertionError as exc:
            raise AssertionError(f"{self.name} not ready: {exc}\n{self.log_tail()}") from exc

    def log_tail(self, lines: int = 40) -> str:
        text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    def owns(self, topic: str) -> bool:
        """Whether this worker has at least one partition of ``topic`` now."""
        assigned = self.get("/health").json()["assignedPartitions"]
        return any(p.rsplit("/", 1)[0] == topic for p in assigned)

    def audit_lines(self) -> list[str]:
        # "\n" only: str.splitlines also splits at U+2028, U+0085 … which JSON leaves unescaped
        text = self.audit_path.read_text() if self.audit_path.exists() else ""
        return [line for line in text.split("\n") if line]

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)

    def terminate(self, timeout: float = 30) -> int:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout)
