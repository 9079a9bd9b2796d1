"""Several workers' ``/stats`` summed into one picture: the monitor and the live page show it."""

from __future__ import annotations

from typing import Any

from app.observability.snapshot import Totals

WorkerStats = dict[str, Any]


def totals(workers: list[WorkerStats]) -> dict[str, Any]:
    """Sums over the workers that answered (a worker that did not is left out, and named in
    ``down``): each order and saga is counted by one worker, the owner of its partition."""
    up = [s for s in workers if "error" not in s]
    orders: dict[str, int] = {}
    sagas: dict[str, int] = {}
    for snap in up:
        for key, n in snap["orders"].items():
            orders[key] = orders.get(key, 0) + n
        for key, n in snap["sagas"]["outcomes"].items():
            sagas[key] = sagas.get(key, 0) + n
    received = sum(s["records"]["received"] for s in up)
    ok = sum(s["records"]["valid"] + s["records"]["forwarded"] for s in up)
    sizes = [s["dlq"]["size"] for s in up if s["dlq"]["size"] is not None]
    rate_weights = [
        (s["successRate"], s["messagesPerSecond"]) for s in up if s["successRate"] is not None
    ]
    weight = sum(w for _, w in rate_weights)
    return Totals(
        **{
            "workers": len(workers),
            "down": [s["worker"] for s in workers if "error" in s],
            "messagesPerSecond": round(sum(s["messagesPerSecond"] for s in up), 2),
            "successRate": (
                round(sum(r * w for r, w in rate_weights) / weight, 4) if weight else None
            ),
            "successRateTotal": round(ok / received, 4) if received else None,
            "records": received,
            "orders": orders,
            "sagas": sagas,
            "dlqSent": sum(s["dlq"]["total"] for s in up),
            "dlqSize": max(sizes) if sizes else None,  # every worker sees the same topic
            "lag": sum(s["lagTotal"] for s in up),
            "stalled": [f"{s['worker']} {p}" for s in up for p in s.get("stalled", [])],
        }
    ).model_dump(mode="json")


def owners(workers: list[WorkerStats], topic: str) -> dict[int, str]:
    """``{partition: worker}`` of one topic's active partitions."""
    return {
        p: s["worker"]
        for s in workers
        if "error" not in s
        for p in s["partitions"]["active"].get(topic, [])
    }


def health_tail(workers: list[WorkerStats], lines: int = 8) -> list[dict[str, Any]]:
    """The last health-log lines of all workers, oldest first, each with its worker."""
    rows = [
        {**line, "worker": s["worker"]} for s in workers if "error" not in s for line in s["health"]
    ]
    return sorted(rows, key=lambda r: str(r.get("ts", "")))[-lines:]
