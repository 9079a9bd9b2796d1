"""``GET /openapi.json`` (the HTTP API's OpenAPI 3.1 document) and ``GET /docs`` (Swagger UI,
its assets served by this worker from the ``swagger-ui-bundle-v2`` package, no CDN)."""

from __future__ import annotations

import functools
from importlib.metadata import version
from typing import Any

import faust
import orjson
import swagger_ui_bundle  # type: ignore[import-untyped]
from aiohttp import web

from app.application import app
from app.settings import settings
from views.http.access import gate, public
from views.http.contract import Answer, operation
from views.http.openapi import Door, document

ABOUT = """The read and write side of the order system: writes are accepted (202) once the broker
has the event, reads answer from the worker that owns the key, from any worker asked.
Every error is JSON `{error, detail}`; a 503 or 429 carries `Retry-After`."""
ASSETS = "/docs/assets"
PAGE = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Orders API</title>
<link rel="icon" type="image/png" href="{ASSETS}/favicon-32x32.png">
<link rel="stylesheet" href="{ASSETS}/swagger-ui.css"></head>
<body><div id="ui"></div>
<script src="{ASSETS}/swagger-ui-bundle.js"></script>
<script src="{ASSETS}/swagger-ui-standalone-preset.js"></script>
<script src="{ASSETS}/docs-init.js"></script>
</body></html>"""
INIT = b"""window.ui = SwaggerUIBundle({url: "/openapi.json", dom_id: "#ui", validatorUrl: null,
  deepLinking: true, presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
  layout: "StandaloneLayout"});"""

app.web.add_static(ASSETS, swagger_ui_bundle.swagger_ui_path)


@functools.cache
def openapi() -> bytes:
    """Built once, at the first request: every view has registered by then."""
    door = Door(gate().ring is not None, settings.api_read_auth, settings.rate_limit > 0)
    doc: dict[str, Any] = document(
        app.web.views, title="Orders API", version=version("kafka-orders"), about=ABOUT, door=door
    )
    return orjson.dumps(doc)


@app.page("/openapi.json")
class OpenApiView(faust.web.View):
    @operation("This document", tag="docs",
               ok=Answer(None, "OpenAPI 3.1 (JSON)", schema={"type": "object"}),
               access="public")  # fmt: skip
    async def get(self, request: web.Request) -> web.Response:
        return web.Response(body=openapi(), content_type="application/json")


@app.page("/docs")
class DocsPage(faust.web.View):
    @operation("Interactive docs (Swagger UI)", tag="docs",
               ok=Answer(None, "HTML", media="text/html"), access="public")  # fmt: skip
    async def get(self, request: web.Request) -> web.Response:
        return web.Response(text=PAGE, content_type="text/html")


@app.page(f"{ASSETS}/docs-init.js")
class DocsInit(faust.web.View):
    @public
    async def get(self, request: web.Request) -> web.Response:
        return web.Response(body=INIT, content_type="text/javascript")
