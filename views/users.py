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
from views.http.bodies import json, publish, read_body
from views.http.routing import read_one, wait_visible


class Registration(BaseModel):
    model_config = ConfigDict(extra="forbid")
    userId: Id | None = None
    name: Name
    email: Email
    tier: Tier = "standard"


@app.page("/users")
class UsersView(faust.web.View):
    async def post(self, request: web.Request) -> web.Response:
        body = await read_body(request, Registration)
        user_id = body.userId or f"user-{uuid.uuid4().hex[:12]}"
        event = UserRegistered(userId=user_id, name=body.name, email=body.email, tier=body.tier)
        env = await publish(event)
        await wait_visible(
            user_profiles, user_id, f"/users/{user_id}"
        )  # then ordering at once works
        return json({"userId": user_id, "eventId": str(env.eventId)}, status=201,
                    headers={"Location": f"/users/{user_id}"})  # fmt: skip


@app.page("/users/{user_id}")
class UserView(faust.web.View):
    async def get(self, request: web.Request, user_id: str) -> web.Response:
        return await read_one(request, user_profiles, user_id, _public, "user")


def _public(profile: UserProfile) -> object:
    return profile.model_dump(mode="json")
