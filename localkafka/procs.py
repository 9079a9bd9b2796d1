"""Port, pid and log-file helpers shared by Broker, Cluster and the CLI."""

from __future__ import annotations

import contextlib
import os
import socket
import time
from pathlib import Path

HOST = "127.0.0.1"


def free_ports(count: int) -> list[int]:
    """`count` distinct ports the OS currently considers free on 127.0.0.1."""
    with contextlib.ExitStack() as stack:
        # Keep every socket bound until all are picked so the OS never hands out one twice.
        socks = [stack.enter_context(socket.socket()) for _ in range(count)]
        for sock in socks:
            sock.bind((HOST, 0))
        return [sock.getsockname()[1] for sock in socks]


def port_free(port: int) -> bool:
    """True if a server could listen on 127.0.0.1:port right now."""
    with socket.socket() as sock:
        # Same option the JVM uses, so a port in TIME_WAIT after a restart counts as free.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((HOST, port))
        except OSError:
            return False
        return True


def kafka_alive(pid: int, properties: Path) -> bool:
    """True if `pid` is a live kafka.Kafka run on this properties file (not a reused pid)."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False
    args = cmdline.split(b"\0")
    return b"kafka.Kafka" in args and str(properties).encode() in args


def wait_gone(pid: int, properties: Path, timeout: float) -> bool:
    """Poll until the process is gone; False if it still runs after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while kafka_alive(pid, properties):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


def signal_pid(pid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, sig)


def tail(path: Path, lines: int = 40) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return f"({path} does not exist)"
    return "\n".join(text.splitlines()[-lines:])
