"""Inventory over HTTP: ``POST /inventory/{sku}/restock`` and ``GET /inventory/{sku}``."""

from __future__ import annotations

from decimal import Decimal

import faust
from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from app.adapters.catalog import catalog_shows
from app.application import app
from app.settings import settings
from domain.inventory import StockLevel, StockShown
from domain.messages import RestockItem
from domain.types import Money, Sku
from tables.inventory import stock_levels
from views.http.bodies import json, make, publish, read_body
from views.http.contract import Answer, operation
from views.http.routing import read_one


class Restock(BaseModel):
    """Adds ``quantity`` to the sku's stock and sets its catalog name and price."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"quantity": 100, "name": "Keyboard", "unitPrice": 49.9}]},
    )
    quantity: int = Field(ge=0, le=1_000_000, strict=True)
    name: str = Field(min_length=1, max_length=200)
    unitPrice: Money = Field(gt=Decimal("0"))


class Restocked(BaseModel):
    sku: str
    eventId: str


RESTOCKED = Answer(Restocked, "accepted; this worker's catalog shows it", {"Location": "the sku"})


@app.page("/inventory/{sku}/restock")
class RestockView(faust.web.View):
    @operation("Restock a sku", tag="inventory", ok=(202, RESTOCKED), errors=(503,), body=Restock,
               path={"sku": Sku}, sends=(RestockItem,))  # fmt: skip
    async def post(self, request: web.Request, sku: str) -> web.Response:
        body = await read_body(request, Restock)
        command = make(RestockItem, sku=sku, **body.model_dump())
        env = await publish(command)
        await catalog_shows(command, timeout=settings.route_timeout)  # read-your-writes, here
        answer = Restocked(sku=sku, eventId=str(env.eventId)).model_dump()
        return json(answer, status=202, headers={"Location": f"/inventory/{sku}"})


@app.page("/inventory/{sku}")
class StockView(faust.web.View):
    @operation("A sku's stock", tag="inventory", ok=(200, StockShown), errors=(404, 503))
    async def get(self, request: web.Request, sku: str) -> web.Response:
        return await read_one(request, stock_levels, sku, StockLevel.public, "sku")
