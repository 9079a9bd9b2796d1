"""The dead-letter record: what could not be processed, why, and everything needed to redrive it."""

from __future__ import annotations

import base64
import uuid
from datetime import datetime
from typing import Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field

from domain.types import UtcDatetime, now_utc

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


class Source(Protocol):
    """Where a record was read: what a dead letter keeps of it (the shell's received record)."""

    @property
    def topic(self) -> str: ...
    @property
    def partition(self) -> int: ...
    @property
    def offset(self) -> int: ...
    @property
    def key(self) -> bytes | None: ...
    @property
    def value(self) -> bytes | None: ...


def reason_for(exc: BaseException) -> FailureReason:
    """Why a handler that raised gives up on its record: a try that ran out of time, or any other
    failure of the processing."""
    return "timeout" if isinstance(exc, TimeoutError) else "processing"


def error_text(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


def dead_letter(
    rec: Source,
    reason: FailureReason,
    error: str,
    *,
    group: str,
    host: str,
    retries: int = 0,
    now: datetime,
    agent: str | None = None,
) -> DeadLetter:
    """The DLQ record of ``rec``: its id stable per position (and agent), at most
    ``PAYLOAD_KEPT`` bytes of its payload (``truncatedFrom`` then says how large it was)."""
    return DeadLetter(
        id=dead_letter_id(rec.topic, rec.partition, rec.offset, agent),
        agent=agent,
        timestamp=now,
        originalTopic=rec.topic,
        originalPartition=rec.partition,
        originalOffset=rec.offset,
        originalKey=key_text(rec.key),
        originalPayload=payload_text(rec.value[:PAYLOAD_KEPT] if rec.value else rec.value),
        truncatedFrom=len(rec.value) if rec.value and len(rec.value) > PAYLOAD_KEPT else None,
        failureReason=reason,
        errorMessage=error,
        retryCount=retries,
        consumerGroup=group,
        processingHost=host,
    )
