"""Query parameters shared by the list endpoints: sort, limit, cursor."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aiohttp import web

from domain import paging
from views.http.bodies import json
from views.http.errors import BadRequestError, problem

MAX_LIMIT = 500


def whole(raw: str) -> bool:
    """ASCII digits only (``str.isdigit`` accepts '²', which ``int`` refuses)."""
    return raw.isascii() and raw.isdigit()


def list_params(
    request: web.Request, sorts: Mapping[str, Any], default_sort: str
) -> tuple[str, int, str | None]:
    """``(sort, limit, cursor)`` from the query, or a 400 naming the bad one."""
    sort_name = request.query.get("sort", default_sort)
    if sort_name not in sorts:
        raise BadRequestError(problem(400, "invalid_sort", f"sort must be one of {sorted(sorts)}"))
    raw_limit = request.query.get("limit", "50")
    if not whole(raw_limit) or not 1 <= int(raw_limit) <= MAX_LIMIT:
        raise BadRequestError(problem(400, "invalid_limit", f"limit must be 1..{MAX_LIMIT}"))
    return sort_name, int(raw_limit), request.query.get("cursor") or None


def paged(
    items: list[dict[str, Any]], sort_key: Any, limit: int, cursor: str | None
) -> web.Response:
    """``{items, nextCursor}``; a cursor this API did not give is a 400."""
    try:
        shown, next_cursor = paging.page(items, sort_key, limit, cursor)
    except paging.BadCursor as exc:
        raise BadRequestError(problem(400, "invalid_cursor", str(exc))) from exc
    return json({"items": shown, "nextCursor": next_cursor})
