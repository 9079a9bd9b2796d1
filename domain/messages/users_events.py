"""users.events, keyed by userId: customers registered and updated."""

from __future__ import annotations

from typing import ClassVar

from domain.messages.base import Message
from domain.types import Email, Id, Name, Tier


class UserEvent(Message):
    stream: ClassVar[str] = "users.events"
    key_field: ClassVar[str] = "userId"
    userId: Id


class UserRegistered(UserEvent):
    name: Name
    email: Email
    tier: Tier = "standard"


class UserUpdated(UserEvent):
    name: Name | None = None
    email: Email | None = None
    tier: Tier | None = None
    active: bool | None = None
