"""A raw record as the shell received it, and its line in the audit trail."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from domain.dead_letter import key_text, payload_text
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


def received(event: Any) -> Received:
    """The record of a Faust event."""
    msg = event.message
    return Received(msg.topic, msg.partition, msg.offset, msg.key, msg.value)
