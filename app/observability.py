"""Audit trail and health log: JSON lines written off the event loop by a logging queue thread."""

from __future__ import annotations

import atexit
import logging
import logging.handlers
import queue
import time
from collections import Counter
from pathlib import Path
from typing import Any

import orjson
from pythonjsonlogger.json import JsonFormatter

audit_log = logging.getLogger("orders.audit")
health_log = logging.getLogger("orders.health")
for _logger in (audit_log, health_log):
    _logger.propagate = False
    _logger.setLevel(logging.INFO)


class _RawJson(logging.Formatter):
    """The audit line is the dict passed as the message, nothing added."""

    def format(self, record: logging.LogRecord) -> str:
        return orjson.dumps(record.msg, default=str).decode()


class Counters:
    """Per-worker counts since start; the health log derives rates from successive snapshots."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()
        self._last: tuple[float, Counter[str]] = (time.monotonic(), Counter())

    def incr(self, name: str, n: int = 1) -> None:
        self.counts[name] += n

    def rates(self) -> dict[str, Any]:
        now, counts = time.monotonic(), Counter(self.counts)
        then, before = self._last
        self._last = (now, counts)
        delta = counts - before
        seen = delta["received"]
        return {
            "messagesPerSecond": round(seen / max(now - then, 1e-9), 2),
            "successRate": round(delta["valid"] / seen, 4) if seen else None,
            "interval": round(now - then, 2),
            "totals": dict(counts),
        }


counters = Counters()
_listeners: list[logging.handlers.QueueListener] = []


def _attach(logger: logging.Logger, path: Path, formatter: logging.Formatter) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    file_handler = logging.FileHandler(path, encoding="utf-8")
    file_handler.setFormatter(logging.Formatter("%(message)s"))
    q: queue.SimpleQueue[logging.LogRecord] = queue.SimpleQueue()
    listener = logging.handlers.QueueListener(q, file_handler)
    # The queue handler formats (a cheap orjson call); the thread only does the file I/O.
    enqueue = logging.handlers.QueueHandler(q)
    enqueue.setFormatter(formatter)
    logger.addHandler(enqueue)
    listener.start()
    _listeners.append(listener)


def configure(audit_path: Path, health_path: Path) -> None:
    """Open both files once per process; errors of any logger also reach the health log."""
    if _listeners:
        return
    _attach(audit_log, audit_path, _RawJson())
    _attach(health_log, health_path, JsonFormatter(timestamp="ts", reserved_attrs=_RESERVED))
    errors = logging.FileHandler(health_path, encoding="utf-8")
    errors.setLevel(logging.ERROR)
    errors.setFormatter(JsonFormatter("%(levelname)s %(name)s %(message)s", timestamp="ts"))
    logging.getLogger().addHandler(errors)
    atexit.register(flush)


def flush() -> None:
    """Write out what is queued (the listener thread drains the queue before it stops)."""
    while _listeners:
        _listeners.pop().stop()


def health(event: str, **fields: Any) -> None:
    health_log.info(event, extra={"event": event, **fields})


def audit(line: dict[str, Any]) -> None:
    audit_log.info(line)


_RESERVED = [
    *logging.LogRecord("", 0, "", 0, "", None, None).__dict__.keys(),
    "message",
    "asctime",
]
