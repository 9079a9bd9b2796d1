"""Users over HTTP: ``POST /users`` (201) and ``GET /users/{id}`` (from its owner)."""

from __future__ import annotations

import uuid

import faust
from aiohttp import web
from pydantic import BaseModel, ConfigDict

from app.faust_app import app
from app.web_errors import problem
from domain.messages import Tier, UserRegistered
from domain.types import Email, Id, Name
from tables.users import user_profiles
from views.http import json, publish, read_body
from views.routing import route


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
        return json({"userId": user_id, "eventId": str(env.eventId)}, status=201,
                    headers={"Location": f"/users/{user_id}"})  # fmt: skip


@app.page("/users/{user_id}")
class UserView(faust.web.View):
    async def get(self, request: web.Request, user_id: str) -> web.Response:
        async def local() -> web.Response:
            profile = user_profiles.get(user_id)
            if profile is None:
                return problem(404, "not_found", f"no user {user_id!r}")
            return json(profile.model_dump(mode="json"))

        return await route(request, user_profiles.table, user_id, local)
