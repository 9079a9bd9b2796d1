"""``GET /``: a live page of the whole system (polls ``/stats/cluster`` and the lists); plain
HTML and JavaScript in one file, nothing to build."""

from __future__ import annotations

from pathlib import Path

import faust
from aiohttp import web

from app.application import app
from views.http.contract import Answer, operation

PAGE = (Path(__file__).with_name("live.html")).read_bytes()


@app.page("/")
class LivePage(faust.web.View):
    @operation("The live page", tag="operations", ok=Answer(None, "HTML", media="text/html"),
               access="public")  # fmt: skip
    async def get(self, request: web.Request) -> web.Response:
        return web.Response(body=PAGE, content_type="text/html", charset="utf-8")
