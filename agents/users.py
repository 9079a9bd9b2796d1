"""Users: users.events → user-profiles table."""

from __future__ import annotations

from app.application import app
from app.runtime.intake import consume
from app.topics import users_events_topic
from domain import users
from domain.envelope import Parsed
from domain.messages import UserRegistered, UserUpdated
from tables.users import user_profiles


async def apply_user_event(parsed: Parsed) -> None:
    body = parsed.body
    assert isinstance(body, UserRegistered | UserUpdated)
    profile = users.evolve(user_profiles.get(body.userId), parsed)
    if profile is not None:
        user_profiles.put(body.userId, profile)


@app.agent(users_events_topic, name="maintain-users")
async def maintain_users(stream):  # type: ignore[no-untyped-def]
    """Reads ``users.events``; changes ``user-profiles``; sends nothing."""
    async for outcome in consume(stream, users_events_topic, apply_user_event):
        yield outcome
