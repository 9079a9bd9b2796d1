"""Order read side: ``GET /orders/{id}/status`` answered by the worker owning the order."""

from __future__ import annotations

import faust
from aiohttp import web

from app.faust_app import app
from app.web_errors import problem
from tables.orders import load_status, order_status_table
from views.routing import route


@app.page("/orders/{order_id}/status")
class OrderStatusView(faust.web.View):
    """The status, details and history of one order; 404 when no event of it was seen."""

    async def get(self, request: web.Request, order_id: str) -> web.Response:
        async def local() -> web.Response:
            status = load_status(order_id)
            if status is None:
                return problem(404, "not_found", f"no order {order_id!r}")
            return web.json_response(status.public())

        return await route(request, order_status_table, order_id, local)
