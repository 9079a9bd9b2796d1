"""One worker's numbers as a JSON snapshot (``GET /stats``), from the same sources as ``/metrics``.

Read when asked: the consumer's offsets for the lag, the circuit states, the counters; a 1 s timer
keeps the last ``ORDERS_STATS_HISTORY`` seconds of totals for rates and the live page's chart.
"""

from __future__ import annotations

import contextlib
import os
import socket
import time
from collections import deque
from typing import Any

from app.adapters import gateway
from app.adapters.lag import PATH_TOPICS, group_lag
from app.application import app
from app.observability import logs, metrics
from app.observability.dlq_size import dlq_size
from app.observability.snapshot import WorkerStats
from app.runtime import watchdog
from app.settings import settings
from domain.admission import worst

STARTED = time.time()
HOST = socket.gethostname()
history: deque[dict[str, float]] = deque(maxlen=settings.stats_history)
RECORD_RESULTS = ("received", "valid", "invalid", "forwarded")


def _records() -> dict[str, int]:
    return {r: logs.counters.counts[r] for r in RECORD_RESULTS}


def _dlq() -> dict[str, int]:
    return {r: logs.counters.counts[f"dlq.{r}"] for r in metrics.DLQ_REASONS}


def _is_ours(topic: str) -> bool:
    """A topic an agent reads (not a table's changelog, not Faust's assignor topic)."""
    return not topic.endswith("-changelog") and "__assignor" not in topic


def lag() -> list[dict[str, Any]]:
    """Per partition this worker consumes: log end offset (as of the last fetch) minus the offset
    Faust committed (else the next one it will read)."""
    consumer: Any = app.consumer  # its offsets are Faust's private state
    try:
        assigned = consumer.assignment()
    except Exception:  # not started yet
        return []
    rows = []
    for tp in sorted(assigned):
        if not _is_ours(tp.topic):
            continue
        with contextlib.suppress(Exception):
            end = consumer.highwater(tp)
            if end is None:
                continue
            committed = consumer._committed_offset.get(tp)
            read = consumer._read_offset.get(tp)
            position = committed if committed is not None else (read + 1 if read is not None else 0)
            rows.append(
                {
                    "topic": tp.topic,
                    "partition": tp.partition,
                    "endOffset": end,
                    "committed": committed,
                    "lag": max(0, end - position),
                }
            )
    return rows


def stalled() -> list[dict[str, Any]]:
    """Per owned input partition: seconds with records waiting and no committed progress."""
    return [
        {"topic": tp.topic, "partition": tp.partition, "seconds": round(seconds, 1),
         "stalled": f"{tp.topic}/{tp.partition}" in watchdog.stalled_partitions()}
        for tp, seconds in sorted(watchdog.stall_seconds().items())
    ]  # fmt: skip


def ownership() -> dict[str, dict[str, list[int]]]:
    """Which partitions this worker owns (active) and keeps warm copies of (standby)."""
    out: dict[str, dict[str, list[int]]] = {"active": {}, "standby": {}}
    with contextlib.suppress(Exception):
        for kind, tps in (
            ("active", app.assignor.assigned_actives()),
            ("standby", app.assignor.assigned_standbys()),
        ):
            for tp in sorted(t for t in tps if _is_ours(t.topic)):
                name = tp.topic.removeprefix(settings.topic_prefix)
                out[kind].setdefault(name, []).append(tp.partition)
    return out


def live() -> dict[str, Any]:
    """What ``/metrics`` reads at scrape time (``metrics.LiveCollector``)."""
    written, failed = logs.audit_lines()
    return {
        "records": _records(),
        "dlq": _dlq(),
        "dlqSize": dlq_size.value,
        "circuits": dict(gateway.circuit_states),
        "lag": lag(),
        "stalled": stalled(),
        "audit": {"written": written, "failed": failed},
    }


metrics.REGISTRY.register(metrics.LiveCollector(live))


@app.timer(1.0)
async def sample() -> None:
    """One row of totals per second: the rates and the live page's chart are differences."""
    done = metrics.values(metrics.orders_finished)
    records = _records()
    history.append(
        {
            "t": round(time.time(), 3),
            "received": records["received"],
            "ok": records["valid"] + records["forwarded"],
            "invalid": records["invalid"],
            "confirmed": done.get("CONFIRMED", 0),
            "cancelled": done.get("CANCELLED", 0),
            "rejected": done.get("REJECTED", 0),
        }
    )


def rates(rows: list[dict[str, float]], seconds: int = 10) -> dict[str, float | None]:
    """Messages/s and the share handled without a DLQ, over the last ``seconds`` of ``rows``."""
    if len(rows) < 2:
        return {"messagesPerSecond": 0.0, "successRate": None}
    first, last = rows[-min(len(rows), seconds + 1)], rows[-1]
    seen = last["received"] - first["received"]
    return {
        "messagesPerSecond": round(seen / max(last["t"] - first["t"], 1e-9), 2),
        "successRate": round((last["ok"] - first["ok"]) / seen, 4) if seen else None,
    }


def _sagas() -> dict[str, Any]:
    counts = metrics.values(metrics.saga_duration, "_count")
    sums = metrics.values(metrics.saga_duration, "_sum")
    return {
        "outcomes": {o: int(counts.get(o, 0)) for o in metrics.SAGA_OUTCOMES},
        "durationSeconds": {
            o: {
                "count": int(counts.get(o, 0)),
                "sum": round(sums.get(o, 0.0), 3),
                "buckets": metrics.buckets(metrics.saga_duration, o),
            }
            for o in metrics.SAGA_OUTCOMES
        },
    }


def _admission() -> dict[str, Any]:
    """The edge's admission control: its budget, the longest backlog of each topic on an order's
    path as last sampled (seconds; empty while unknown), and the orders refused with a 429."""
    backlog = group_lag.backlog
    return {
        "budgetSeconds": settings.admission_budget(),
        "backlogSeconds": {t: round(s, 2) for t, s in worst(backlog, PATH_TOPICS).items()}
        if backlog
        else {},
        "refused": int(metrics.total(metrics.orders_refused)),
    }


async def worker_stats() -> dict[str, Any]:
    await dlq_size.refresh()
    current = live()
    rows = list(history)
    done = metrics.values(metrics.orders_finished)
    lag_rows = current["lag"]
    return WorkerStats(
        **{
            "worker": str(app.conf.canonical_url),
            "appId": app.conf.id,
            "host": HOST,
            "pid": os.getpid(),
            "uptimeSeconds": round(time.time() - STARTED, 1),
            **rates(rows),
            "records": current["records"],
            "orders": {o.lower(): int(done.get(o, 0)) for o in metrics.ORDER_OUTCOMES},
            "sagas": _sagas(),
            "dlq": {
                "byReason": current["dlq"],
                "total": sum(current["dlq"].values()),
                "size": current["dlqSize"],
            },
            "circuits": current["circuits"],
            "lag": lag_rows,
            "lagTotal": sum(r["lag"] for r in lag_rows),
            "admission": _admission(),
            "stalled": watchdog.stalled_partitions(),
            "partitions": ownership(),
            "rebalancing": bool(app.rebalancing),
            "audit": current["audit"],
            "health": list(logs.recent_health)[-10:],
            "history": rows,
        }
    ).model_dump(mode="json")
