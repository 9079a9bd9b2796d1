"""What the list endpoints share: ``limit`` and ``cursor`` in, ``{items, nextCursor}`` out."""

from __future__ import annotations

from typing import Any, Generic, TypeVar

from aiohttp import web
from pydantic import BaseModel, Field

from domain import paging
from views.http.bodies import json
from views.http.contract import Query, Whole
from views.http.errors import BadRequestError, problem

MAX_LIMIT = 500
T = TypeVar("T")


class Limit(Query):
    limit: Whole = Field(
        50, ge=1, le=MAX_LIMIT, description=f"at most this many items, 1..{MAX_LIMIT}"
    )


class ListQuery(Limit):
    """A list's paging; each list adds its ``sort`` (and filters)."""

    cursor: str | None = Field(
        None, pattern=r"^[A-Za-z0-9_-]+$", description="the nextCursor of the previous page"
    )


class Page(BaseModel, Generic[T]):
    """One page of a list; ``nextCursor`` is null on the last one."""

    items: list[T]
    nextCursor: str | None


def paged(items: list[dict[str, Any]], sort_key: Any, query: ListQuery) -> web.Response:
    """``{items, nextCursor}``; a cursor this API did not give is a 400."""
    try:
        shown, next_cursor = paging.page(items, sort_key, query.limit, query.cursor)
    except paging.BadCursor as exc:
        raise BadRequestError(problem(400, "invalid_cursor", str(exc))) from exc
    return json({"items": shown, "nextCursor": next_cursor})
