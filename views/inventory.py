"""Inventory over HTTP: ``POST /inventory/{sku}/restock`` and ``GET /inventory/{sku}``."""

from __future__ import annotations

from decimal import Decimal

import faust
from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from app.adapters.catalog import catalog_shows
from app.application import app
from app.settings import settings
from domain.inventory import StockLevel
from domain.messages import RestockItem
from domain.types import Money
from tables.inventory import stock_levels
from views.http.bodies import json, make, publish, read_body
from views.http.routing import read_one


class Restock(BaseModel):
    model_config = ConfigDict(extra="forbid")
    quantity: int = Field(ge=0, le=1_000_000, strict=True)
    name: str = Field(min_length=1, max_length=200)
    unitPrice: Money = Field(gt=Decimal("0"))


@app.page("/inventory/{sku}/restock")
class RestockView(faust.web.View):
    async def post(self, request: web.Request, sku: str) -> web.Response:
        body = await read_body(request, Restock)
        command = make(RestockItem, sku=sku, **body.model_dump())
        env = await publish(command)
        await catalog_shows(command, timeout=settings.route_timeout)  # read-your-writes, here
        return json({"sku": sku, "eventId": str(env.eventId)}, status=202,
                    headers={"Location": f"/inventory/{sku}"})  # fmt: skip


@app.page("/inventory/{sku}")
class StockView(faust.web.View):
    async def get(self, request: web.Request, sku: str) -> web.Response:
        return await read_one(request, stock_levels, sku, StockLevel.public, "sku")
