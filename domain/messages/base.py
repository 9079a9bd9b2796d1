"""The base of every message body: the topic it travels on and the field that is its key."""

from __future__ import annotations

from typing import ClassVar

from pydantic import BaseModel, ConfigDict


# One base per topic: the topic and its key are said once, the fields every message there shares
# come first (so field order on the wire is what it was).
class Message(BaseModel):
    """Base of every message body; unknown fields are ignored so any 1.x writer is readable."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    stream: ClassVar[str]  # logical topic name (the real one adds ORDERS_TOPIC_PREFIX)
    key_field: ClassVar[str]  # the field whose value is the Kafka key
