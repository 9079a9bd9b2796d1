"""The shapes of ``GET /stats`` and ``GET /stats/cluster``: what ``stats`` builds and the
OpenAPI document shows (the monitor and the live page read them)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class Records(BaseModel):
    received: int
    valid: int
    invalid: int = Field(description="sent to the DLQ as invalid")
    forwarded: int = Field(description="passed on without handling (e.g. a message for later)")


class Duration(BaseModel):
    count: int
    sum: float = Field(description="seconds")
    buckets: dict[str, float] = Field(description='cumulative counts by upper bound ("+Inf")')


class Sagas(BaseModel):
    outcomes: dict[str, int]
    durationSeconds: dict[str, Duration]


class DeadLettered(BaseModel):
    byReason: dict[str, int] = Field(description="sent to the DLQ by this worker, by reason")
    total: int
    size: int | None = Field(description="records on orders.dlq (every worker sees the same)")


class Lag(BaseModel):
    topic: str
    partition: int
    endOffset: int
    committed: int | None
    lag: int


class Admission(BaseModel):
    budgetSeconds: float = Field(description="backlog above which orders are refused (0: off)")
    backlogSeconds: dict[str, float] = Field(description="longest backlog per topic on the path")
    refused: int


class Ownership(BaseModel):
    active: dict[str, list[int]] = Field(description="topic -> partitions this worker owns")
    standby: dict[str, list[int]] = Field(description="topic -> partitions kept warm here")


class Audit(BaseModel):
    written: int
    failed: int


class WorkerStats(BaseModel):
    """One worker's numbers, read when asked."""

    worker: str
    appId: str
    host: str
    pid: int
    uptimeSeconds: float
    messagesPerSecond: float = Field(description="over the last 10 s")
    successRate: float | None = Field(description="share handled without a DLQ, last 10 s")
    records: Records
    orders: dict[str, int] = Field(description="orders that ended here, by outcome")
    sagas: Sagas
    dlq: DeadLettered
    circuits: dict[str, str] = Field(description="acquirer -> closed, opened or half-opened")
    lag: list[Lag]
    lagTotal: int
    admission: Admission
    stalled: list[str] = Field(description="topic/partition with no progress, records waiting")
    partitions: Ownership
    rebalancing: bool
    audit: Audit
    health: list[dict[str, Any]] = Field(description="the last health-log lines")
    history: list[dict[str, float]] = Field(description="one row of totals per second")


class Unreachable(BaseModel):
    """A member of the group that did not answer its ``/stats``."""

    worker: str
    error: str


class Totals(BaseModel):
    """Sums over the workers that answered."""

    workers: int
    down: list[str]
    messagesPerSecond: float
    successRate: float | None
    successRateTotal: float | None
    records: int
    orders: dict[str, int]
    sagas: dict[str, int]
    dlqSent: int
    dlqSize: int | None
    lag: int
    stalled: list[str]


class ClusterStats(BaseModel):
    totals: Totals
    workers: list[WorkerStats | Unreachable]
