"""Audit trail (a writer thread) and health log (a logging queue thread): JSON lines."""

from __future__ import annotations

import atexit
import contextlib
import logging
import logging.handlers
import queue
import threading
import time
from collections import Counter, deque
from pathlib import Path
from typing import Any, BinaryIO

import orjson
from pythonjsonlogger.json import JsonFormatter

health_log = logging.getLogger("orders.health")
health_log.propagate = False
health_log.setLevel(logging.INFO)


class JsonLines:
    """The audit trail: one line per record a worker receives, so it is on the hot path. The
    caller pays one orjson call and a queue put; a thread writes whatever has queued up in one
    write and one flush. (Through ``logging`` it cost a LogRecord, a formatter and a flush per
    line: ~12 % of a worker's CPU in ``make bench``.) The file and its folder are made at the
    first line, so a command that writes nothing leaves nothing behind.

    The thread wakes at the first line after a quiet spell, then waits ``linger`` seconds for
    more before it writes: at most one wake-up (a hand-over of the GIL, a ``write`` and a
    ``flush``) per ``linger``, not one per record at a moderate rate. A line reaches the file
    up to ``linger`` later; a ``kill -9`` loses what was queued, as it did before."""

    _STOP = b""
    MOST = 10_000  # lines per write

    def __init__(self, path: Path, linger: float = 0.05) -> None:
        self.path, self.linger = path, linger
        self.written = 0  # lines written (read by the metrics; only this thread adds)
        self.failed = 0  # lines that could not be written
        self._queue: queue.SimpleQueue[bytes] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="audit-writer", daemon=True)
        self._thread.start()

    def put(self, line: dict[str, Any]) -> None:
        self._queue.put(orjson.dumps(line, default=str, option=orjson.OPT_APPEND_NEWLINE))

    def close(self) -> None:
        """Write out what is queued, then stop the thread."""
        self._queue.put(self._STOP)
        self._thread.join(30)

    def _run(self) -> None:
        out, behind = None, False
        try:
            while True:
                batch = [self._queue.get()]
                if batch[0] != self._STOP and not behind:
                    time.sleep(self.linger)  # puts meanwhile wake no one
                with contextlib.suppress(queue.Empty):
                    while len(batch) < self.MOST:
                        batch.append(self._queue.get_nowait())
                behind = len(batch) == self.MOST  # more are waiting: no linger next time
                out = self._write(out, batch)
                if self._STOP in batch:
                    return
        finally:
            if out is not None:
                with contextlib.suppress(OSError):
                    out.close()

    def _write(self, out: BinaryIO | None, batch: list[bytes]) -> BinaryIO | None:
        """One write and one flush for ``batch``; the file, opened at the first line."""
        try:
            if lines := b"".join(batch):
                if out is None:
                    self.path.parent.mkdir(parents=True, exist_ok=True)
                    out = self.path.open("ab")
                out.write(lines)
                out.flush()
                self.written += sum(1 for line in batch if line)
        except OSError as exc:  # a full disk, a bad path: say so, keep draining
            lost = sum(1 for line in batch if line)
            self.failed += lost
            health("error", logger="orders.audit", error=f"{self.path}: {exc!r}", linesLost=lost)
        return out


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


_audit: list[JsonLines] = []
# The last health lines, for ``GET /stats`` (the monitor shows them from another machine).
recent_health: deque[dict[str, Any]] = deque(maxlen=20)


class _Recent(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        recent_health.append(orjson.loads(self.format(record)))


def configure(audit_path: Path, health_path: Path) -> None:
    """Route both logs to their files (opened at their first line), once per process."""
    if _listeners:
        return
    _audit.append(JsonLines(audit_path))
    formatter = JsonFormatter(timestamp="ts", reserved_attrs=_RESERVED)
    _attach(health_log, health_path, formatter)
    if not any(isinstance(h, _Recent) for h in health_log.handlers):
        recent = _Recent()
        recent.setFormatter(formatter)
        health_log.addHandler(recent)
    atexit.register(flush)  # at exit: after the agents' last in-flight records


def flush() -> None:
    """Write out what is queued (the writer threads drain their queues before they stop)."""
    while _audit:
        _audit.pop().close()
    while _listeners:
        logger, enqueue, listener = _listeners.pop()
        logger.removeHandler(enqueue)
        listener.stop()


def health(event: str, **fields: Any) -> None:
    health_log.info(event, extra={"event": event, **fields})


def audit(line: dict[str, Any]) -> None:
    if _audit:
        _audit[0].put(line)


def audit_lines() -> tuple[int, int]:
    """Audit lines written and lost by this process's writer."""
    return (_audit[0].written, _audit[0].failed) if _audit else (0, 0)


_RESERVED = [
    *logging.LogRecord("", 0, "", 0, "", None, None).__dict__.keys(),
    "message",
    "asctime",
]
