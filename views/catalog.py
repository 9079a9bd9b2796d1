"""``GET /catalog``: this worker's copy of the catalog (what its order handler prices from)."""

from __future__ import annotations

import faust
from aiohttp import web

from app.adapters.catalog import catalog, caught_up
from app.application import app
from views.http.bodies import json


@app.page("/catalog")
class CatalogView(faust.web.View):
    async def get(self, request: web.Request) -> web.Response:
        items = sorted(
            (c.model_dump(mode="json") for c in catalog.values()), key=lambda c: c["sku"]
        )
        return json({"caughtUp": caught_up.is_set(), "items": items})
