"""Customer profiles: registered, updated, an update of an unknown user ignored."""

from __future__ import annotations

from domain import users
from domain.messages import (
    UserRegistered,
    UserUpdated,
)
from tests.support.events import event


def test_user_profile_evolves() -> None:
    profile = users.evolve(
        None, event(UserRegistered(userId="u-1", name="Ada", email="ada@example.com"))
    )
    assert profile is not None and profile.tier == "standard" and profile.active
    profile = users.evolve(profile, event(UserUpdated(userId="u-1", tier="gold", active=False)))
    assert profile is not None and (profile.tier, profile.active, profile.name) == (
        "gold",
        False,
        "Ada",
    )
    assert users.evolve(None, event(UserUpdated(userId="u-2", tier="gold"))) is None
