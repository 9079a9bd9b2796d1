"""What this worker knows of its group now: who owns which partitions, and whether it is settled."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

from faust.types import TP, TableT

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
    return _owned(app.assignor.assigned_actives(), table.changelog_topic.get_topic_name())


def _owned(active: Collection[TP], topic: str) -> list[int]:
    return sorted(tp.partition for tp in active if tp.topic == topic)


@dataclass(frozen=True)
class Assignment:
    """One look at the group, for the read side's decisions (a test builds one by hand): the
    workers and the table partitions each owns, what is active here, what moves."""

    me: str
    owners: Mapping[str, Mapping[str, Collection[int]]]  # worker URL -> changelog -> partitions
    active: Collection[TP]
    moving: str | None  # ``unsettled()``
    generation: int

    @classmethod
    def now(cls) -> Assignment:
        return cls(
            me=str(app.conf.canonical_url),
            owners=app.router.tables_metadata(),
            active=app.assignor.assigned_actives(),
            moving=unsettled(),
            generation=app.consumer_generation_id,
        )

    def owner(self, tp: TP) -> str | None:
        """The worker actively owning ``tp`` of a table's changelog, if any."""
        for url, topics in self.owners.items():
            if tp.partition in topics.get(tp.topic, ()):
                return url
        return None

    def is_me(self, url: str) -> bool:
        return url.rstrip("/") == self.me.rstrip("/")

    def owned(self, topic: str) -> list[int]:
        return _owned(self.active, topic)

    def workers(self) -> list[str]:
        """Every worker that owns a table partition (this one alone before the first rebalance)."""
        return [u.rstrip("/") for u in self.owners] or [self.me.rstrip("/")]
