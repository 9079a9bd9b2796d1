"""Issue 16's targets, each a ratio or a latency from this one run: target, measured, met or not."""

from __future__ import annotations

from typing import Any

# (what, target as text, how to read it from the report, met when)
Row = tuple[str, str, float | None, bool | None]


def _get(report: dict[str, Any], *path: str) -> Any:
    node: Any = report
    for key in path:
        if not isinstance(node, dict) or key not in node:
            return None
        node = node[key]
    return node


def _at_least(value: float | None, target: float) -> bool | None:
    return None if value is None else value >= target


def _at_most(value: float | None, target: float) -> bool | None:
    return None if value is None else value <= target


def rows(report: dict[str, Any]) -> list[Row]:
    forward = _get(report, "anchors", "faust_forward_ours", "vsRawForward")
    stateful = _get(report, "anchors", "faust_stateful_ours", "vsRawForward")
    pipeline = _get(report, "pipeline", "workers2", "messagesVsRawForward")
    p99 = _get(report, "pipeline", "latency100", "p99Ms")
    p50 = _get(report, "pipeline", "latency10", "p50Ms")
    one = _get(report, "pipeline", "workers1", "cpuSecondsPerOrder")
    two = _get(report, "pipeline", "workers2", "cpuSecondsPerOrder")
    scaling = round(two / one, 3) if one and two else None
    return [
        ("pipeline, 2 workers: business records/s ÷ raw forward msg/s", "≥ 0.085", pipeline,
         _at_least(pipeline, 0.085)),
        ("Faust agents (ours), forward ÷ raw forward", "≥ 0.33", forward,
         _at_least(forward, 0.33)),
        ("Faust agents (ours), stateful ÷ raw forward", "≥ 0.33", stateful,
         _at_least(stateful, 0.33)),
        ("POST → CONFIRMED at 100 orders/s, p99 ms", "≤ 100", p99, _at_most(p99, 100)),
        ("POST → CONFIRMED at 10 orders/s, p50 ms", "≤ 40", p50, _at_most(p50, 40)),
        ("worker CPU per order, 2 workers ÷ 1 worker", "≤ 1.15", scaling,
         _at_most(scaling, 1.15)),
    ]  # fmt: skip


def table_rows(report: dict[str, Any]) -> list[list[Any]]:
    verdict = {True: "met", False: "NOT MET", None: "not measured"}
    return [[what, target, "-" if v is None else v, verdict[met]]
            for what, target, v, met in rows(report)]  # fmt: skip
