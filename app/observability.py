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
        done = delta["valid"] + delta["forwarded"]  # a repaired record is not a failure
        return {
            "messagesPerSecond": round(seen / max(now - then, 1e-9), 2),
            "successRate": round(done / seen, 4) if seen else None,
            "interval": round(now - then, 2),
            "totals": dict(counts),
        }


counters = Counters()
_listeners: list[tuple[logging.Logger, logging.Handler, logging.handlers.QueueListener]] = []


class _LazyFile(logging.FileHandler):
    """Opens (and makes the folder of) its file at the first line, so a command that writes
    nothing leaves nothing behind."""

    def _open(self):  # type: ignore[no-untyped-def]
        Path(self.baseFilename).parent.mkdir(parents=True, exist_ok=True)
        return super()._open()


class ErrorsToHealthLog(logging.Handler):
    """Given to Faust as a log handler (Faust's worker resets the root logger's handlers when it
    starts): every ERROR of any logger also becomes a health-log line."""

    def __init__(self) -> None:
        super().__init__(level=logging.ERROR)

    def emit(self, record: logging.LogRecord) -> None:
        if _listeners and record.name != health_log.name:
            health("error", logger=record.name, error=record.getMessage()[:2000])


def _attach(logger: logging.Logger, path: Path, formatter: logging.Formatter) -> None:
    file_handler = _LazyFile(path, encoding="utf-8", delay=True)
    file_handler.setFormatter(logging.Formatter("%(message)s"))
    q: queue.SimpleQueue[logging.LogRecord] = queue.SimpleQueue()
    listener = logging.handlers.QueueListener(q, file_handler)
    # The queue handler formats (a cheap orjson call); the thread only does the file I/O.
    enqueue = logging.handlers.QueueHandler(q)
    enqueue.setFormatter(formatter)
    logger.addHandler(enqueue)
    listener.start()
    _listeners.append((logger, enqueue, listener))


def configure(audit_path: Path, health_path: Path) -> None:
    """Route both logs to their files (opened at their first line), once per process."""
    if _listeners:
        return
    _attach(audit_log, audit_path, _RawJson())
    _attach(health_log, health_path, JsonFormatter(timestamp="ts", reserved_attrs=_RESERVED))
    atexit.register(flush)  # at exit: after the agents' last in-flight records


def flush() -> None:
    """Write out what is queued (the listener thread drains the queue before it stops)."""
    while _listeners:
        logger, enqueue, listener = _listeners.pop()
        logger.removeHandler(enqueue)
        listener.stop()


def health(event: str, **fields: Any) -> None:
    health_log.info(event, extra={"event": event, **fields})


def audit(line: dict[str, Any]) -> None:
    audit_log.info(line)


_RESERVED = [
    *logging.LogRecord("", 0, "", 0, "", None, None).__dict__.keys(),
    "message",
    "asctime",
]
