"""The dead-letter record: what could not be processed, why, and everything needed to redrive it."""

from __future__ import annotations

import base64
import uuid
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from domain.types import UtcDatetime, now_utc, utc_iso

FailureReason = Literal["deserialization", "validation", "processing", "timeout"]
_DLQ_NAMESPACE = uuid.UUID("0b8f5c36-1e0a-4c59-8d7e-2d0f5b4c7a11")
# A DLQ record keeps at most this much of the payload: a record near the broker's size limit
# would not fit on orders.dlq once wrapped in JSON (base64 or escapes make it grow).
PAYLOAD_KEPT = 64 * 1024
KEY_KEPT = 1024  # a longer key is kept hashed as the DLQ record's key, and cut in originalKey


class DeadLetter(BaseModel):
    """One record on ``orders.dlq``; ``id`` is derived from the source position, so a redelivered
    bad message produces the same id."""

    model_config = ConfigDict(frozen=True)

    id: str
    timestamp: UtcDatetime = Field(default_factory=now_utc)
    originalTopic: str
    originalPartition: int
    originalOffset: int
    originalKey: str | None
    originalPayload: str  # UTF-8 text when it decodes, else "base64:<…>"
    truncatedFrom: int | None = None  # the payload's size when only PAYLOAD_KEPT bytes are kept
    failureReason: FailureReason
    agent: str | None = None  # the handler that failed (processing, timeout); None: invalid
    errorMessage: str
    retryCount: int = 0
    consumerGroup: str
    processingHost: str


def payload_text(raw: bytes | None) -> str:
    """Keep any payload losslessly: text as is, anything else base64 with a marker."""
    if raw is None:
        return ""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return "base64:" + base64.b64encode(raw).decode("ascii")


def key_text(raw: bytes | None) -> str | None:
    return None if raw is None else payload_text(raw[:KEY_KEPT])


def dead_letter_id(topic: str, partition: int, offset: int, agent: str | None = None) -> str:
    """Stable: a redelivered record gets the same id; per agent when one of several agents
    reading a topic fails on it (each failure is its own record)."""
    where = f"{topic}/{partition}/{offset}" + (f"/{agent}" if agent else "")
    return str(uuid.uuid5(_DLQ_NAMESPACE, where))


def payload_bytes(text: str) -> bytes | None:
    """The original bytes back from ``payload_text`` (what a redrive sends)."""
    if text.startswith("base64:"):
        try:
            return base64.b64decode(text.removeprefix("base64:"), validate=True)
        except ValueError:
            pass  # a text payload that happens to start with the marker
    return text.encode("utf-8")


def headers_of(letter: DeadLetter) -> dict[str, bytes]:
    """Kafka headers of a DLQ record: enough to filter or route it without parsing the value."""
    return {
        "dlq-id": letter.id.encode(),
        "dlq-reason": letter.failureReason.encode(),
        "dlq-original-topic": letter.originalTopic.encode(),
        "dlq-original-position": f"{letter.originalPartition}/{letter.originalOffset}".encode(),
        "dlq-retries": str(letter.retryCount).encode(),
    }


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
        return {
            **self.letter.model_dump(mode="json"),
            "dlqPartition": self.dlqPartition,
            "dlqOffset": self.dlqOffset,
            "redrivenAt": None if self.redrivenAt is None else utc_iso(self.redrivenAt),
            "redrivenBy": self.redrivenBy,
        }


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
    return {
        "total": len(entries),
        "byReason": dict(sorted(by_reason.items())),
        "byTopic": dict(sorted(by_topic.items())),
        "redriven": redriven,
        "waiting": len(entries) - redriven,
        "oldest": None if oldest is None else utc_iso(oldest),
    }
