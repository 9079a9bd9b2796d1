"""Customer profiles: ``evolve(profile, event) -> profile``."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from domain.envelope import Parsed
from domain.messages import Tier, UserRegistered, UserUpdated


class UserProfile(BaseModel):
    """What ``GET /users/{id}`` answers and what the order handler checks."""

    model_config = ConfigDict(frozen=True)

    userId: str
    name: str
    email: str
    tier: Tier = "standard"
    active: bool = True


def evolve(profile: UserProfile | None, event: Parsed) -> UserProfile | None:
    """Registration (re)sets the profile; an update of an unknown user changes nothing."""
    body = event.body
    assert isinstance(body, UserRegistered | UserUpdated)
    if isinstance(body, UserRegistered):
        return UserProfile(userId=body.userId, name=body.name, email=body.email, tier=body.tier)
    if profile is None:
        return None
    changes = body.model_dump(include={"name", "email", "tier", "active"}, exclude_none=True)
    return profile.model_copy(update=changes)
