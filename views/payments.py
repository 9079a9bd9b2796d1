"""``GET /payments/circuits``: this worker's circuit breakers, and ``POST`` to inject an outage."""

from __future__ import annotations

import faust
from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from app.adapters import gateway
from app.application import app
from app.settings import settings
from views.http.bodies import json, read_body
from views.http.contract import operation


class Outage(BaseModel):
    model_config = ConfigDict(extra="forbid")
    seconds: float = Field(gt=0, le=3600, strict=True, description="how long the gateway is down")


class Circuits(BaseModel):
    worker: str
    circuits: dict[str, str] = Field(description="acquirer -> closed, opened or half-opened")


class Down(BaseModel):
    worker: str
    downForSeconds: float


@app.page("/payments/circuits")
class CircuitsView(faust.web.View):
    @operation("This worker's circuit breakers", tag="payments", ok=(200, Circuits))
    async def get(self, request: web.Request) -> web.Response:
        """State of each acquirer's circuit on this worker."""
        states = dict(gateway.circuit_states)
        return json(Circuits(worker=str(app.conf.canonical_url), circuits=states).model_dump())


@app.page("/payments/outage")
class OutageView(faust.web.View):
    @operation("Inject a gateway outage", tag="payments", ok=(202, Down), body=Outage,
               access="admin", when=lambda: settings.fault_injection)  # fmt: skip
    async def post(self, request: web.Request) -> web.Response:
        """Takes this worker's simulated gateway down for ``seconds`` (fault injection: a 404
        unless ``ORDERS_FAULT_INJECTION=true``, and then an admin's)."""
        body = await read_body(request, Outage)
        gateway.gateway.take_down(body.seconds)
        down = Down(worker=str(app.conf.canonical_url), downForSeconds=body.seconds)
        return json(down.model_dump(), status=202)
