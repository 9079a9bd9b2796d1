"""``GET /catalog``: this worker's copy of the catalog (what its order handler prices from)."""

from __future__ import annotations

import faust
from aiohttp import web
from pydantic import BaseModel, Field

from app.adapters.catalog import catalog, caught_up
from app.application import app
from domain.messages import CatalogItem
from views.http.bodies import json
from views.http.contract import operation


class Catalog(BaseModel):
    caughtUp: bool = Field(description="false while this worker still loads the catalog")
    items: list[CatalogItem] = Field(description="by sku")


@app.page("/catalog")
class CatalogView(faust.web.View):
    @operation("This worker's catalog", tag="inventory", ok=(200, Catalog))
    async def get(self, request: web.Request) -> web.Response:
        items = sorted(
            (c.model_dump(mode="json") for c in catalog.values()), key=lambda c: c["sku"]
        )
        return json({"caughtUp": caught_up.is_set(), "items": items})
