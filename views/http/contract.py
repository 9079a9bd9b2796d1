"""What each HTTP operation takes and answers, declared once beside its handler.

``@operation(...)`` on a view's method records its query, body and answers (the pydantic models
the handler validates and answers with) for ``views.http.openapi``, and reads the query strictly
before the handler runs: an unknown parameter is a 400 ``unknown_parameter``, a repeated one or
an invalid value a 400 ``invalid_<name>``, so no handler sees a query its document does not allow.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any, TypeVar, get_args

from aiohttp import web
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from domain.access import Access
from views.http.errors import BadRequestError, problem

Handler = TypeVar("Handler", bound=Callable[..., Awaitable[web.Response]])


class Problem(BaseModel):
    """Every error answer: a code a program can test, a sentence a person can read."""

    error: str = Field(description="stable machine-readable code, e.g. invalid_limit")
    detail: str = Field(description="what was wrong, in words")


class FieldProblem(BaseModel):
    field: str = Field(description="dotted path of the field in the body, <body> for all of it")
    message: str
    type: str = Field(description="pydantic's error type, e.g. missing, string_too_long")


class Invalid(Problem):
    """422: the body is JSON but not a valid request; each invalid field is named."""

    fields: list[FieldProblem]


def _digits(raw: object) -> object:
    """A query's whole number is ASCII digits only: not '+5', ' 5', '5.0', '1_0' or '²'."""
    if isinstance(raw, str) and not (raw.isascii() and raw.isdigit()):
        raise ValueError("a whole number is expected (digits only)")
    return raw


Whole = Annotated[int, BeforeValidator(_digits)]


class Query(BaseModel):
    """Base of a query model: every parameter is optional or has a default; no other is taken."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class NoQuery(Query):
    pass


@dataclass(frozen=True)
class Answer:
    """One status of an operation: its body model (None: no JSON body) and headers it carries."""

    model: type[BaseModel] | None
    description: str
    headers: Mapping[str, str] = field(default_factory=dict)  # name -> description
    media: str = "application/json"
    schema: Mapping[str, Any] | None = None  # without a model: the body's JSON schema


RETRY_AFTER = {"Retry-After": "seconds to wait before retrying"}
ERRORS: dict[int, Answer] = {
    400: Answer(Problem, "a query parameter (or the body's JSON) is invalid"),
    401: Answer(Problem, "no API key, or an unknown one", {"WWW-Authenticate": "Bearer"}),
    403: Answer(Problem, "the API key's role may not do this"),
    404: Answer(Problem, "nothing is known under this id"),
    409: Answer(Problem, "the request conflicts with the current state"),
    413: Answer(Problem, "the body is larger than the worker accepts"),
    422: Answer(Invalid, "the body is valid JSON but not a valid request"),
    429: Answer(Problem, "overloaded: the backlog ahead is too long (admission)", RETRY_AFTER),
    503: Answer(
        Problem, "not answerable now (owner moving, broker not acknowledging)", RETRY_AFTER
    ),
}


@dataclass(frozen=True)
class Operation:
    summary: str
    tag: str
    answers: Mapping[int, Answer]
    query: type[Query] = NoQuery
    body: type[BaseModel] | None = None
    body_required: bool = True
    headers: Mapping[str, str] = field(default_factory=dict)  # request headers it reads
    path: Mapping[str, Any] = field(default_factory=dict)  # a path parameter's type (else str)
    links: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)  # of its first answer
    description: str = ""
    sends: tuple[type[BaseModel], ...] = ()  # the messages it writes to Kafka (for AsyncAPI)
    access: Access = "read"  # what the caller needs (views.http.access): a role, or public
    when: Callable[[], bool] | None = None  # switched on only while this is true (else a 404)


def operation(
    summary: str,
    *,
    tag: str,
    ok: tuple[int, type[BaseModel] | None] | Answer | tuple[int, Answer],
    errors: tuple[int, ...] = (),
    query: type[Query] = NoQuery,
    body: type[BaseModel] | None = None,
    body_required: bool = True,
    headers: Mapping[str, str] | None = None,
    path: Mapping[str, Any] | None = None,
    links: Mapping[str, Mapping[str, Any]] | None = None,
    answers: Mapping[int, Answer] | None = None,
    sends: tuple[type[BaseModel], ...] = (),
    access: Access | None = None,
    when: Callable[[], bool] | None = None,
) -> Callable[[Handler], Handler]:
    """Declare a handler's contract; it is called with ``query=`` (the parsed ``query`` model)
    when one is declared. A body adds 400 (not JSON), 413 and 422; every operation can answer
    400 (its query). ``path`` types the path parameters the handler validates (a 422 when
    invalid); ``answers`` replaces the usual answer of a status. ``access`` is what a caller
    needs when API keys are set (default: ``read`` for a GET, ``write`` otherwise); ``when``
    switches the operation on (a 404 and out of the document while it answers False)."""
    status, answer = _ok(ok)
    wanted = {400, *errors, *((413, 422) if body is not None else ())}
    every = {status: answer, **{code: ERRORS[code] for code in sorted(wanted)}, **(answers or {})}

    def declare(handler: Handler) -> Handler:
        needs = access or ("read" if handler.__name__ == "get" else "write")
        assert needs in get_args(Access), needs
        op = Operation(
            summary, tag, every, query, body, body_required, dict(headers or {}),
            dict(path or {}), dict(links or {}), inspect.cleandoc(handler.__doc__ or ""), sends,
            needs, when,
        )  # fmt: skip

        @functools.wraps(handler)
        async def checked(view: Any, request: web.Request, **path: str) -> web.Response:
            if when is not None and not when():
                raise BadRequestError(problem(404, "not_found", f"{request.path} is switched off"))
            parsed = read_query(request, query)
            if query is NoQuery:
                return await handler(view, request, **path)
            return await handler(view, request, query=parsed, **path)

        checked.__operation__ = op  # type: ignore[attr-defined]
        checked.__access__ = needs  # type: ignore[attr-defined]
        return checked  # type: ignore[return-value]

    return declare


def _ok(ok: tuple[int, type[BaseModel] | None] | Answer | tuple[int, Answer]) -> tuple[int, Answer]:
    if isinstance(ok, Answer):
        return 200, ok
    status, what = ok
    if isinstance(what, Answer):
        return status, what
    return status, Answer(what, "OK" if status == 200 else "accepted")


def operation_of(method: Callable[..., Any]) -> Operation | None:
    return getattr(method, "__operation__", None)


Q = TypeVar("Q", bound=Query)


def read_query(request: web.Request, model: type[Q]) -> Q:
    """``model`` from the query string, or raise the 400 naming the parameter."""
    taken = model.model_fields
    unknown = sorted(set(request.query) - set(taken))
    if unknown:
        names = ", ".join(sorted(taken)) or "none"
        raise BadRequestError(
            problem(400, "unknown_parameter",
                    f"unknown query parameter(s) {unknown}; this operation takes: {names}")
        )  # fmt: skip
    for name in request.query:
        if len(request.query.getall(name)) > 1:
            raise BadRequestError(problem(400, f"invalid_{name}", f"{name} is given twice"))
    try:
        return model.model_validate(dict(request.query))
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        name = str(first["loc"][0]) if first["loc"] else "query"
        detail = f"{name}: {first['msg']}"
        if (hint := taken[name].description if name in taken else None) is not None:
            detail += f" ({hint})"
        raise BadRequestError(problem(400, f"invalid_{name}", detail)) from exc
