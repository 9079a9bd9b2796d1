"""Before the business rules, every agent does this with a raw record: audit line, DLQ record."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from domain.dlq import (
    PAYLOAD_KEPT,
    DeadLetter,
    FailureReason,
    dead_letter_id,
    key_text,
    payload_text,
)
from domain.envelope import Invalid, Parsed
from domain.types import utc_iso


@dataclass(frozen=True, slots=True)
class Received:
    """A raw record as it came off a topic (the shell fills it from Faust's Message)."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None


def audit_line(
    rec: Received, result: Parsed | Invalid, received_at: datetime, **extra: Any
) -> dict[str, Any]:
    """One JSON line per record received, valid or not, with the raw payload kept."""
    ids: tuple[str | None, str | None, str | None]
    if isinstance(result, Parsed):
        ids = (str(result.envelope.eventId), result.envelope.eventType, None)
    else:
        ids = (result.eventId, result.eventType, f"{result.reason}: {result.error}")
    return {
        "receivedAt": utc_iso(received_at),
        "topic": rec.topic,
        "partition": rec.partition,
        "offset": rec.offset,
        "key": key_text(rec.key),
        "eventId": ids[0],
        "eventType": ids[1],
        "valid": isinstance(result, Parsed),
        "reason": ids[2],
        "payload": payload_text(rec.value),
        **extra,
    }


def dead_letter(
    rec: Received,
    reason: FailureReason,
    error: str,
    *,
    group: str,
    host: str,
    retries: int = 0,
    now: datetime,
    agent: str | None = None,
) -> DeadLetter:
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
