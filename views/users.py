"""Users over HTTP: ``POST /users`` (201) and ``GET /users/{id}`` (from its owner)."""

from __future__ import annotations

import uuid

import faust
from aiohttp import web
from pydantic import BaseModel, ConfigDict

from app.application import app
from domain.messages import Tier, UserRegistered
from domain.types import Email, Id, Name
from domain.users import UserProfile
from tables.users import user_profiles
from views.http.bodies import Written, publish, read_body, written
from views.http.contract import Answer, operation
from views.http.routing import read_one, wait_visible


class Registration(BaseModel):
    """A new user (or a new profile for ``userId``); a userId is made when none is given."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"name": "Ada", "email": "ada@example.com"}]},
    )
    userId: Id | None = None
    name: Name
    email: Email
    tier: Tier = "standard"


CREATED = Answer(Written, "registered", {"Location": "the user's profile"})


@app.page("/users")
class UsersView(faust.web.View):
    @operation("Register a user", tag="users", errors=(503,), body=Registration, ok=(201, CREATED),
               sends=(UserRegistered,))  # fmt: skip
    async def post(self, request: web.Request) -> web.Response:
        body = await read_body(request, Registration)
        user_id = body.userId or f"user-{uuid.uuid4().hex[:12]}"
        event = UserRegistered(userId=user_id, name=body.name, email=body.email, tier=body.tier)
        env = await publish(event)
        await wait_visible(
            user_profiles, user_id, f"/users/{user_id}"
        )  # then ordering at once works
        return written(user_id, env.eventId, 201, Location=f"/users/{user_id}")


@app.page("/users/{user_id}")
class UserView(faust.web.View):
    @operation("A user's profile", tag="users", ok=(200, UserProfile), errors=(404, 503))
    async def get(self, request: web.Request, user_id: str) -> web.Response:
        return await read_one(request, user_profiles, user_id, _public, "user")


def _public(profile: UserProfile) -> object:
    return profile.model_dump(mode="json")
