"""What this worker owns now, and whether its partitions are settled enough to answer for them."""

from __future__ import annotations

from typing import Any

from faust.types import TableT

from app.application import app


def unsettled() -> str | None:
    """Why this worker's partitions are moving now (a rebalance, tables recovering from their
    changelogs), or None once they are settled."""
    if app.rebalancing:
        return "rebalancing"
    if not app.tables.recovery.completed.is_set():  # type: ignore[attr-defined]
        return "recovering tables from changelogs"
    return None


def owned_partitions(table: TableT[Any, Any]) -> list[int]:
    """The partitions of ``table`` this worker actively owns, in order."""
    changelog = table.changelog_topic.get_topic_name()
    return sorted(tp.partition for tp in app.assignor.assigned_actives() if tp.topic == changelog)
