"""``GET /payments/circuits``: this worker's circuit breakers, and ``POST`` to inject an outage."""

from __future__ import annotations

import faust
from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from app.adapters import gateway
from app.application import app
from views.http.bodies import json, read_body


class Outage(BaseModel):
    model_config = ConfigDict(extra="forbid")
    seconds: float = Field(gt=0, le=3600)


@app.page("/payments/circuits")
class CircuitsView(faust.web.View):
    """State of each acquirer's circuit on this worker (closed, opened, half-opened)."""

    async def get(self, request: web.Request) -> web.Response:
        return json(
            {"worker": str(app.conf.canonical_url), "circuits": dict(gateway.circuit_states)}
        )


@app.page("/payments/outage")
class OutageView(faust.web.View):
    """Takes this worker's simulated gateway down for ``seconds`` (fault injection)."""

    async def post(self, request: web.Request) -> web.Response:
        body = await read_body(request, Outage)
        gateway.gateway.take_down(body.seconds)
        return json(
            {"worker": str(app.conf.canonical_url), "downForSeconds": body.seconds}, status=202
        )
