"""The DLQ slice: records filed by id, redriven once, selected, counted."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from domain.dead_letter import DeadLetter
from domain.types import UtcDatetime, now_utc


class DeadLetterShown(DeadLetter):
    """A DLQ record as ``GET /dlq`` shows it: where it is on ``orders.dlq``, whether redriven."""

    dlqPartition: int
    dlqOffset: int
    redrivenAt: UtcDatetime | None = None
    redrivenBy: str | None = None


class DeadLetterStats(BaseModel):
    """Counts over the whole DLQ: by reason, by original topic, redriven or waiting."""

    total: int
    byReason: dict[str, int]
    byTopic: dict[str, int]
    redriven: int
    waiting: int
    oldest: UtcDatetime | None = Field(description="the oldest record's time")


class Entry(BaseModel):
    """What the ``dead-letters`` table keeps per DLQ id: the record, where it is on
    ``orders.dlq``, and whether it was redriven (once: a second redrive does nothing)."""

    model_config = ConfigDict(frozen=True)

    letter: DeadLetter
    dlqPartition: int
    dlqOffset: int
    redrivenAt: UtcDatetime | None = None
    redrivenBy: str | None = None

    def public(self) -> dict[str, object]:
        where = {"dlqPartition": self.dlqPartition, "dlqOffset": self.dlqOffset}
        redriven = {"redrivenAt": self.redrivenAt, "redrivenBy": self.redrivenBy}
        shown = DeadLetterShown(**dict(self.letter), **where, **redriven)
        return shown.model_dump(mode="json")


class Filed(BaseModel):
    """On the by-id topic: a DLQ record, indexed by its id."""

    kind: Literal["filed"] = "filed"
    entry: Entry


class RedriveRequested(BaseModel):
    """On the by-id topic: put this DLQ record back on its original topic, unless already done."""

    kind: Literal["redrive"] = "redrive"
    id: str
    requestedBy: str  # "http <worker>" or "cli <host>"
    requestedAt: UtcDatetime = Field(default_factory=now_utc)


def file(entry: Entry | None, filed: Entry) -> Entry | None:
    """The first filing of an id wins (a redelivered DLQ record is the same record)."""
    return filed if entry is None else None


def redrivable(entry: Entry) -> bool:
    """Not redriven yet, and the whole payload is kept (a truncated one cannot be sent back)."""
    return entry.redrivenAt is None and entry.letter.truncatedFrom is None


def redrive(entry: Entry | None, request: RedriveRequested) -> Entry | None:
    """The entry marked redriven, or None when there is nothing to do (unknown id, done before,
    payload truncated)."""
    if entry is None or not redrivable(entry):
        return None
    return entry.model_copy(
        update={"redrivenAt": request.requestedAt, "redrivenBy": request.requestedBy}
    )


def selected(entries: list[Entry], *, ids: list[str] | None = None,
             reason: str | None = None, everything: bool = False) -> list[Entry]:  # fmt: skip
    """The entries a redrive or a listing names: by id, by reason, or all of them."""
    if ids:
        wanted = set(ids)
        return [e for e in entries if e.letter.id in wanted]
    if reason:
        return [e for e in entries if e.letter.failureReason == reason]
    return list(entries) if everything else []


def newest_first(entries: list[Entry]) -> list[Entry]:
    return sorted(entries, key=lambda e: (e.letter.timestamp, e.letter.id), reverse=True)


def stats(entries: list[Entry]) -> dict[str, object]:
    """Counts by reason and by original topic; how many wait for a redrive."""
    by_reason: dict[str, int] = {}
    by_topic: dict[str, int] = {}
    for e in entries:
        by_reason[e.letter.failureReason] = by_reason.get(e.letter.failureReason, 0) + 1
        by_topic[e.letter.originalTopic] = by_topic.get(e.letter.originalTopic, 0) + 1
    redriven = sum(e.redrivenAt is not None for e in entries)
    oldest = min((e.letter.timestamp for e in entries), default=None)
    stats = DeadLetterStats(
        total=len(entries), byReason=dict(sorted(by_reason.items())),
        byTopic=dict(sorted(by_topic.items())), redriven=redriven,
        waiting=len(entries) - redriven, oldest=oldest,
    )  # fmt: skip
    return stats.model_dump(mode="json")


def triage(entries: list[Entry]) -> dict[str, list[str]]:
    """The ids of ``entries`` a redrive asks for (``requested``), and of those it leaves:
    ``alreadyRedriven``, ``truncated`` (the payload kept is not the whole record)."""
    out: dict[str, list[str]] = {"requested": [], "alreadyRedriven": [], "truncated": []}
    for entry in entries:
        if entry.redrivenAt is not None:
            out["alreadyRedriven"].append(entry.letter.id)
        elif not redrivable(entry):
            out["truncated"].append(entry.letter.id)
        else:
            out["requested"].append(entry.letter.id)
    return out


def redrive_request(dlq_id: str, requested_by: str) -> tuple[bytes, bytes]:
    """Key and value of a request on the by-id topic: under the DLQ id, so the one agent owning
    the id sees the record and every request for it in order, and redrives it once."""
    request = RedriveRequested(id=dlq_id, requestedBy=requested_by)
    return dlq_id.encode(), request.model_dump_json().encode()
