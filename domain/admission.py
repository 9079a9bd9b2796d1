"""Admission at the edge: a new order is refused (HTTP 429) when the backlog ahead of it, measured
in time, is longer than it may wait.

The backlog of one partition is the consumer group's lag turned into time, from samples of the
group's committed offset and the log's end (the idea of Burrow and kafka-lag-exporter, used here to
refuse work rather than to alert). Two readings, each right where the other is not:

- the **age** of the oldest record waiting (the one at the committed offset), from when a sample
  last saw the log end below it: how long the records at the head have waited. It grows with the
  clock on a stalled partition, and stays under a commit interval (Faust's 2.8 s) and a sample
  on one that keeps up, whatever the rate records come at;
- the **projection**: the records waiting divided by the pace the committed offset moved since
  records began to wait (within ``window``), the time the workers need for them. It sees an
  overload seconds before the head's age does, but on a partition that keeps up the offset moves
  at the pace records come, a commit interval at a time, and over a short span it read a few
  records as a minute of backlog (``make bench`` at 10 orders/s: 5 of 100 orders refused).

So the projection counts only once the head has waited longer than a partition that keeps up
lets it (``keeping_up``: a commit interval and its commit, and two samples): then the workers are
behind, and the offset moves at their pace.

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
    """One partition's backlog in seconds, from the samples of its offsets.

    ``keeping_up``: the oldest age a record waiting on a partition that keeps up may have (a
    commit interval, a second for the commit itself, two sample intervals), and the shortest span a
    pace is taken over; ``window``: the seconds of samples a pace is taken from; ``interval``:
    the seconds between samples; ``history``: how many changes of the log end are kept to date
    the head (at one sample a second, ten minutes: an older head counts from the oldest)."""

    def __init__(
        self, window: float, keeping_up: float = 0.0, interval: float = 1.0, history: int = 600
    ) -> None:
        self.window, self.keeping_up, self.interval = window, keeping_up, interval
        self._samples: deque[Sample] = deque()
        # (since, end): the records below ``end`` not below the entry before came after ``since``
        self._ends: deque[tuple[float, int]] = deque(maxlen=history)
        self._busy_since: float | None = None  # since when every sample had records waiting

    def add(self, sample: Sample) -> None:
        last = self._samples[-1] if self._samples else None
        if last is None:
            self._ends.append((sample.at, sample.end))
        elif sample.end != last.end:  # they were not there at the sample before; after a gap in
            # the samples (a broker slow to answer), not dated before one interval
            self._ends.append((max(last.at, sample.at - self.interval), sample.end))
        while len(self._ends) > 1 and self._ends[0][1] <= sample.committed:
            self._ends.popleft()  # handled: no longer the head
        if sample.end <= sample.committed:
            self._busy_since = None
        elif self._busy_since is None:
            self._busy_since = sample.at
        self._samples.append(sample)
        while self._samples[0].at < sample.at - self.window:
            self._samples.popleft()

    def seconds(self) -> float:
        if not self._samples:
            return 0.0
        last = self._samples[-1]
        waiting = last.end - last.committed
        if waiting <= 0 or self._busy_since is None:
            return 0.0
        age = last.at - self._ends[0][0]
        if age <= self.keeping_up:
            return age
        first = self._samples[0]
        busy = first if self._busy_since <= first.at else self._first_since(self._busy_since)
        moved, elapsed = last.committed - busy.committed, last.at - busy.at
        if moved <= 0 or elapsed < self.keeping_up:  # a pace over a few commits is noise
            return age
        return max(waiting * elapsed / moved, age)

    def _first_since(self, at: float) -> Sample:
        return next(s for s in self._samples if s.at >= at)


class SagaQueue:
    """How long a new order's saga would wait behind the sagas in flight on a worker: those in
    flight divided by the pace sagas end at (Little's law), once the sagas stand in a queue.

    The group's lag sees a flood late: an order's first hop is cheap, so for its first 5 to 8 s
    the workers hand the orders on as fast as they come (their own offsets stay within a second
    or two of the log end) while the sagas pile up behind them, and the committed offsets show
    it only once every hop is full (at 10x the capacity, 81 s of the workers' work was admitted
    before the first refusal). The sagas in flight show it within seconds.

    A pace read over a couple of seconds says nothing of what the workers can do when little
    ended in it: after a quiet hour a burst of orders would read as minutes. So, as CoDel tells
    a standing queue from a burst, the sagas count as queued only while every saga that ended in
    the last ``span`` seconds took longer than ``target``: a burst's sagas end quickly, and one
    quick end says the queue is not standing; a saga that waits on a down gateway for its
    deadline does not make the others slow. Under a steady load the reading is the sagas' mean
    duration (Little's law), which the deadlines bound; it outgrows the budget only while sagas
    start faster than they end."""

    def __init__(self, target: float, span: float) -> None:
        self.target, self.span = target, span
        self._ends: deque[tuple[float, float]] = deque()  # (when, seconds the saga lasted)

    def ended(self, at: float, lasted: float) -> None:
        self._ends.append((at, lasted))
        while self._ends[0][0] < at - self.span:  # bounded without samples too (broker away)
            self._ends.popleft()

    def seconds(self, in_flight: int, now: float) -> float:
        """The wait ahead of a new saga (0: no queue standing), ``now`` on ``ended``'s clock."""
        while self._ends and self._ends[0][0] < now - self.span:
            self._ends.popleft()
        if not in_flight or not self._ends:
            return 0.0
        if min(lasted for _, lasted in self._ends) <= self.target:
            return 0.0
        return in_flight * self.span / len(self._ends)


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
