"""A declared query is read strictly before the handler runs: unknown, repeated or invalid
parameters are a 400 naming them, never a 500 and never silently ignored."""

from __future__ import annotations

from typing import Any, Literal

import orjson
import pytest
from aiohttp import web
from aiohttp.test_utils import make_mocked_request
from pydantic import Field

from views.http.contract import Query, Whole, operation, operation_of
from views.http.errors import BadRequestError


class Listing(Query):
    limit: Whole = Field(50, ge=1, le=500, description="1..500")
    sort: Literal["recent", "amount"] = "recent"
    wait: float = Field(0, ge=0, allow_inf_nan=False)


class Handlers:
    @operation("A list", tag="t", ok=(200, None), errors=(503,), query=Listing)
    async def get(self, request: web.Request, query: Listing, **path: str) -> web.Response:
        return web.json_response({"query": query.model_dump(), "path": path})

    @operation("No query", tag="t", ok=(202, None))
    async def post(self, request: web.Request, **path: str) -> web.Response:
        return web.json_response({"path": path}, status=202)


async def call(method: str, url: str, **path: str) -> tuple[int, dict[str, Any]]:
    handler: Any = Handlers().get if method == "GET" else Handlers().post  # as Faust calls it
    try:
        response = await handler(make_mocked_request(method, url), **path)
    except BadRequestError as exc:
        response = exc.response
    assert isinstance(response.body, bytes)
    return response.status, orjson.loads(response.body)


async def test_a_valid_query_reaches_the_handler_parsed_with_its_defaults() -> None:
    status, body = await call("GET", "/x?limit=7&wait=1.5", user_id="u-1")
    assert status == 200
    assert body == {
        "query": {"limit": 7, "sort": "recent", "wait": 1.5},
        "path": {"user_id": "u-1"},
    }


@pytest.mark.parametrize(
    ("url", "error", "named"),
    [
        ("/x?bogus=1", "unknown_parameter", "bogus"),
        ("/x?limit=1&limit=2", "invalid_limit", "twice"),
        ("/x?limit=0", "invalid_limit", "1..500"),
        ("/x?limit=abc", "invalid_limit", "limit"),
        ("/x?limit=", "invalid_limit", "limit"),
        ("/x?limit=2.5", "invalid_limit", "limit"),
        ("/x?limit=%2B5", "invalid_limit", "digits"),  # +5
        ("/x?limit=%205", "invalid_limit", "digits"),
        ("/x?limit=5.0", "invalid_limit", "digits"),
        ("/x?limit=1_0", "invalid_limit", "digits"),
        ("/x?limit=%C2%B2", "invalid_limit", "digits"),  # ²
        ("/x?sort=x", "invalid_sort", "recent"),
        ("/x?wait=inf", "invalid_wait", "wait"),
        ("/x?wait=nan", "invalid_wait", "wait"),
        ("/x?wait=-1", "invalid_wait", "wait"),
    ],
)
async def test_a_bad_query_is_a_400_naming_the_parameter(url: str, error: str, named: str) -> None:
    status, body = await call("GET", url)
    assert status == 400, body
    assert body["error"] == error and named in body["detail"], body


async def test_an_operation_without_a_query_refuses_any_parameter() -> None:
    assert (await call("POST", "/x"))[0] == 202
    status, body = await call("POST", "/x?limit=1")
    assert status == 400 and body["error"] == "unknown_parameter"
    assert "none" in body["detail"]


def test_the_declaration_lists_every_status_with_400_always_and_the_body_ones() -> None:
    op = operation_of(Handlers.get)
    assert op is not None and op.query is Listing
    assert list(op.answers) == [200, 400, 503]

    @operation("Write", tag="t", ok=(202, None), body=Listing, errors=(429,))
    async def write(view: object, request: web.Request) -> web.Response:
        raise AssertionError

    declared = operation_of(write)
    assert declared is not None and list(declared.answers) == [202, 400, 413, 422, 429]
    assert "Retry-After" in declared.answers[429].headers
