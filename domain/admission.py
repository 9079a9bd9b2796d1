"""Admission at the edge: a new order is refused (HTTP 429) when the backlog ahead of it, measured
in time, is longer than it may wait.

The backlog of one partition is the consumer group's lag turned into time: the records between
the group's committed offset and the log's end, divided by the rate the committed offset moved over
the last ``window`` seconds (the time they will take, at the pace the workers keep now), and never
less than how long that committed offset has stood still with records waiting (a stalled partition
has no pace to divide by; its backlog grows with the clock). The idea is Burrow's and
kafka-lag-exporter's (lag in time, from samples of the committed and end offsets), used here to
refuse work rather than to alert. Its resolution is the commit interval (Faust's 2.8 s): records
handled but not committed yet count as waiting, so the budget must be well above it.

An order passes one partition of each hop of its path: its user's ``orders.commands`` partition,
its own ``orders.events`` partition, the ``inventory.commands`` partitions of its items and its
``payments.commands`` partition. The saga's deadline is per step, and a step lasts about as long as
the backlog of its hop, so the order could not finish in time when the longest backlog on its path
is longer than a step may last. The budget is below that (half the saga's timeout by default):
under overload the backlog grows while the order travels. Not the sum of the hops: a failover
stalls every partition of the worker that left at once, and they catch up at once."""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

TopicPartition = tuple[str, int]  # (logical topic, partition)


@dataclass(frozen=True, slots=True)
class Sample:
    at: float  # seconds, monotonic
    committed: int  # the group's committed offset: the next record it will handle
    end: int  # the log end offset: the next record to be written


class PartitionLag:
    """One partition's backlog in seconds, from the samples of its offsets over ``window``.

    The pace is taken only over the samples since records last began to wait (within the
    window): while a partition was idle, its committed offset moved at the pace records came, not
    at the pace the workers can go, and a burst would read as minutes of backlog until the next
    commit. Until the offset has moved within that span, the backlog is the time it has stood
    still."""

    def __init__(self, window: float) -> None:
        self.window = window
        self._samples: deque[Sample] = deque()
        self._still_since: float | None = None  # when the committed offset last moved
        self._busy_since: float | None = None  # since when every sample had records waiting

    def add(self, sample: Sample) -> None:
        last = self._samples[-1] if self._samples else None
        caught_up = sample.end <= sample.committed
        if last is None or caught_up or sample.committed != last.committed:
            self._still_since = sample.at
        if caught_up:
            self._busy_since = None
        elif self._busy_since is None:
            self._busy_since = sample.at
        self._samples.append(sample)
        while self._samples[0].at < sample.at - self.window:
            self._samples.popleft()

    def seconds(self) -> float:
        if not self._samples:
            return 0.0
        first, last = self._samples[0], self._samples[-1]
        waiting = last.end - last.committed
        if waiting <= 0 or self._busy_since is None:
            return 0.0
        still = last.at - (self._still_since if self._still_since is not None else last.at)
        busy = first if self._busy_since <= first.at else self._first_since(self._busy_since)
        moved, elapsed = last.committed - busy.committed, last.at - busy.at
        if moved <= 0 or elapsed <= 0:
            return still
        return max(waiting * elapsed / moved, still)

    def _first_since(self, at: float) -> Sample:
        return next(s for s in self._samples if s.at >= at)


@dataclass(frozen=True, slots=True)
class Path:
    """The partitions one order passes; ``inventory``: one per distinct item."""

    commands: TopicPartition
    events: TopicPartition
    inventory: tuple[TopicPartition, ...]
    payments: TopicPartition


def ahead(backlog: Mapping[TopicPartition, float], path: Path) -> float:
    """The longest backlog (seconds) on ``path``; a partition not measured counts 0."""
    hops = (path.commands, path.events, *path.inventory, path.payments)
    return max(backlog.get(tp, 0.0) for tp in hops)


@dataclass(frozen=True, slots=True)
class Refusal:
    ahead: float  # seconds of backlog ahead of the order
    budget: float  # the most it may wait
    retry_after: int  # seconds, for the Retry-After header

    def detail(self) -> str:
        return (
            f"overloaded: a backlog of {self.ahead:.1f} s on this order's path, more than the "
            f"{self.budget:g} s a step may wait; retry in {self.retry_after} s"
        )


def admit(ahead_seconds: float, budget: float, *, longest_retry: int = 30) -> Refusal | None:
    """None to take the order; a refusal when the backlog ahead exceeds ``budget`` (0: take
    every order). Retry after the time the excess takes to drain at today's pace, 1..``longest``."""
    if budget <= 0 or ahead_seconds <= budget:
        return None
    retry = min(longest_retry, max(1, math.ceil(ahead_seconds - budget)))
    return Refusal(ahead=ahead_seconds, budget=budget, retry_after=retry)


def worst(backlog: Mapping[TopicPartition, float], topics: Iterable[str]) -> dict[str, float]:
    """The longest backlog of each of ``topics`` (for /stats and the health log)."""
    out = dict.fromkeys(topics, 0.0)
    for (topic, _), seconds in backlog.items():
        if topic in out:
            out[topic] = max(out[topic], seconds)
    return out
