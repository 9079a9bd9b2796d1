"""The dead-letter record: what could not be processed, why, and everything needed to redrive it."""

from __future__ import annotations

import base64
import uuid
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from domain.types import UtcDatetime, now_utc

FailureReason = Literal["deserialization", "validation", "processing", "timeout"]
_DLQ_NAMESPACE = uuid.UUID("0b8f5c36-1e0a-4c59-8d7e-2d0f5b4c7a11")


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
    failureReason: FailureReason
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
    return None if raw is None else payload_text(raw)


def dead_letter_id(topic: str, partition: int, offset: int) -> str:
    return str(uuid.uuid5(_DLQ_NAMESPACE, f"{topic}/{partition}/{offset}"))
