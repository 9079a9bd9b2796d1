"""Customer profiles: ``evolve(profile, event) -> profile``."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from domain.messages import Tier, UserRegistered, UserUpdated


class UserProfile(BaseModel):
    """What ``GET /users/{id}`` answers and what the order handler checks."""

    model_config = ConfigDict(frozen=True)

    userId: str
    name: str
    email: str
    tier: Tier = "standard"
    active: bool = True


def evolve(profile: UserProfile | None, event: UserRegistered | UserUpdated) -> UserProfile | None:
    """Registration (re)sets the profile; an update of an unknown user changes nothing."""
    if isinstance(event, UserRegistered):
        return UserProfile(userId=event.userId, name=event.name, email=event.email, tier=event.tier)
    if profile is None:
        return None
    changes = event.model_dump(include={"name", "email", "tier", "active"}, exclude_none=True)
    return profile.model_copy(update=changes)
