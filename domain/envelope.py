"""The one envelope every message travels in: parse and validate raw bytes, upcast, build, dump."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

import orjson
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from domain.messages import MESSAGE_TYPES, Message, types_on
from domain.types import UtcDatetime, now_utc

CURRENT_VERSION = "1.0"
SUPPORTED_MAJOR = 1
_EVENT_ID_NAMESPACE = uuid.UUID("6f1c3c1e-3d52-4a8e-9b57-1f0e6a7c9d10")

# Failure categories shared with the DLQ.
DESERIALIZATION: Literal["deserialization"] = "deserialization"
VALIDATION: Literal["validation"] = "validation"


class Envelope(BaseModel):
    """``{eventId, eventType, timestamp, version, correlationId, causationId, data}``."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    eventId: uuid.UUID
    eventType: str = Field(min_length=1, max_length=64)
    timestamp: UtcDatetime
    version: str = Field(pattern=r"^\d+\.\d+$")
    correlationId: str | None = Field(None, max_length=128)
    causationId: str | None = Field(None, max_length=128)
    data: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Parsed:
    envelope: Envelope
    body: Message


@dataclass(frozen=True, slots=True)
class Invalid:
    reason: Literal["deserialization", "validation"]
    error: str  # names the field and the rule
    eventId: str | None = None
    eventType: str | None = None


def _upcast_v0(event_type: str, data: dict[str, Any]) -> dict[str, Any]:
    """0.x, the pre-1.0 shape: ``customerId`` for userId, ``total`` for amount, ``price``."""
    out = dict(data)
    if "customerId" in out and "userId" not in out:
        out["userId"] = out.pop("customerId")
    if event_type == "OrderCreated":
        if "total" in out and "amount" not in out:
            out["amount"] = out.pop("total")
        items = out.get("items")
        if isinstance(items, list):  # anything else is left for validation to name
            out["items"] = [
                {**i, "unitPrice": i.get("unitPrice", i.get("price"))} if isinstance(i, dict) else i
                for i in items
            ]
    return out


# major version -> function that lifts a body of that major to the current one
UPCASTERS: dict[int, Callable[[str, dict[str, Any]], dict[str, Any]]] = {0: _upcast_v0}


def format_errors(exc: ValidationError, prefix: str = "") -> str:
    """``data.items.0.quantity: Input should be greater than 0 [greater_than]; …``."""
    parts = []
    for err in exc.errors(include_url=False):
        loc = ".".join(str(p) for p in (prefix, *err["loc"]) if p != "")
        parts.append(f"{loc or '<root>'}: {err['msg']} [{err['type']}]")
    return "; ".join(parts)


def _decode(raw: bytes | None) -> dict[str, Any] | Invalid:
    if raw is None:
        return Invalid(DESERIALIZATION, "<root>: message has no value (tombstone)")
    try:
        obj = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        return Invalid(DESERIALIZATION, f"<root>: not valid UTF-8 JSON ({exc})")
    if not isinstance(obj, dict):
        return Invalid(DESERIALIZATION, f"<root>: expected a JSON object, got {type(obj).__name__}")
    return obj


def parse(raw: bytes | None, stream: str | None = None) -> Parsed | Invalid:
    """Validate raw bytes from a topic; ``stream`` limits the event types accepted. Never raises:
    whatever the bytes, the answer is Parsed or Invalid."""
    try:
        return _parse(raw, stream)
    except Exception as exc:  # a bug in an upcaster must not lose the record
        return Invalid(VALIDATION, f"<root>: unreadable message ({type(exc).__name__}: {exc})")


def _parse(raw: bytes | None, stream: str | None) -> Parsed | Invalid:
    obj = _decode(raw)
    if isinstance(obj, Invalid):
        return obj
    ids = {
        "eventId": _str_or_none(obj.get("eventId")),
        "eventType": _str_or_none(obj.get("eventType")),
    }
    try:
        env = Envelope.model_validate(obj)
    except ValidationError as exc:
        return Invalid(VALIDATION, format_errors(exc), **ids)
    known = types_on(stream) if stream else MESSAGE_TYPES
    cls = known.get(env.eventType)
    if cls is None:
        return Invalid(VALIDATION, f"eventType: unknown type {env.eventType!r} on {stream}", **ids)
    major = int(env.version.split(".")[0])
    data = env.data
    if major != SUPPORTED_MAJOR:
        upcast = UPCASTERS.get(major)
        if upcast is None:
            return Invalid(VALIDATION, f"version: unsupported major version {env.version!r}", **ids)
        data = upcast(env.eventType, data)
    try:
        body = cls.model_validate(data)
    except ValidationError as exc:
        return Invalid(VALIDATION, format_errors(exc, "data"), **ids)
    return Parsed(env, body)


def _str_or_none(value: object) -> str | None:
    return value if isinstance(value, str) else None


def derive_event_id(cause: str, step: str) -> uuid.UUID:
    """Deterministic id of the event that ``step`` makes from ``cause``: a retry makes the same."""
    return uuid.uuid5(_EVENT_ID_NAMESPACE, f"{cause}/{step}")


def build(
    body: Message,
    *,
    correlation_id: str | None,
    causation_id: str | None = None,
    event_id: uuid.UUID | None = None,
    timestamp: datetime | None = None,
) -> Envelope:
    return Envelope(
        eventId=event_id or uuid.uuid4(),
        eventType=type(body).__name__,
        timestamp=timestamp or now_utc(),
        version=CURRENT_VERSION,
        correlationId=correlation_id,
        causationId=causation_id,
        data=body.model_dump(mode="json"),
    )


def caused_by(
    body: Message, *, cause: Envelope, step: str, timestamp: datetime | None = None
) -> Envelope:
    """The envelope of a message caused by ``cause``: its id derives from the cause and the step,
    so a retried or redelivered step produces the very same event (stamped ``timestamp``, or
    now)."""
    return build(
        body,
        correlation_id=cause.correlationId or getattr(body, "orderId", None),
        causation_id=str(cause.eventId),
        event_id=derive_event_id(str(cause.eventId), step),
        timestamp=timestamp,
    )


def dumps(envelope: Envelope) -> bytes:
    return orjson.dumps(envelope.model_dump(mode="json"))


def key_of(body: Message) -> str:
    return str(getattr(body, body.key_field))
