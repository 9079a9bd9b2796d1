"""Records as the shell hands them to a rule: a message in its envelope, ids from readable names."""

from __future__ import annotations

import uuid
from datetime import datetime

from domain import envelope
from domain.envelope import Envelope, Parsed
from domain.messages import Message

_IDS = uuid.UUID("c5d7e0a2-1b3f-4c6d-9e8f-7a6b5c4d3e2f")


def event_id(name: str) -> uuid.UUID:
    """The same name, the same id: ``"e-1"`` twice is one event delivered twice."""
    return uuid.uuid5(_IDS, name)


def event(body: Message, name: str = "e-1", at: datetime | None = None) -> Parsed:
    env = envelope.build(body, correlation_id=None, event_id=event_id(name), timestamp=at)
    return Parsed(env, body)


def body_of(env: Envelope) -> Message:
    """The message an envelope carries, as a reader parses it."""
    parsed = envelope.parse(envelope.dumps(env))
    assert isinstance(parsed, Parsed), parsed
    return parsed.body
