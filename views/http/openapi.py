"""The OpenAPI 3.1 document of the HTTP API, built from the routes and their ``@operation``s.

Schemas come from the pydantic models the handlers validate with (request bodies, in
validation mode) and answer with (serialization mode); ``openapi-pydantic`` types the document.
Nothing here restates a field: a model changed is a document changed.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Literal, TypeGuard

from openapi_pydantic import OpenAPI
from pydantic import BaseModel, TypeAdapter
from pydantic.json_schema import GenerateJsonSchema, JsonSchemaMode, models_json_schema

from views.http.contract import ERRORS, RETRY_AFTER, Answer, Operation, Query, operation_of

REF = "#/components/schemas/{model}"
_PATH_PARAM = re.compile(r"{(\w+)}")
Listed = tuple[str, str, str, Operation]  # path, method, operationId, operation
SCHEME = "apiKey"
LIMITED = Answer(
    ERRORS[429].model, "overloaded (admission), or past ORDERS_RATE_LIMIT writes per second",
    RETRY_AFTER,
)  # fmt: skip


@dataclass(frozen=True)
class Door:
    """What the worker asks of callers, as configured (``views.http.access``)."""

    keys: bool = False  # ORDERS_API_KEYS set
    read_auth: bool = False  # ORDERS_API_READ_AUTH
    rate_limit: bool = False  # ORDERS_RATE_LIMIT > 0

    def needs_key(self, op: Operation) -> bool:
        return self.keys and (op.access in ("write", "admin") or
                              (op.access == "read" and self.read_auth))  # fmt: skip

    def answers(self, op: Operation) -> dict[int, Answer]:
        """The operation's answers with what the door adds: 401/403 where a key is needed,
        429 where writes are limited."""
        more = dict(op.answers)
        if self.needs_key(op):
            more[401] = ERRORS[401]
            if op.access != "read":  # a key of a lower role
                more[403] = ERRORS[403]
        if self.rate_limit and op.access in ("write", "admin"):
            more[429] = LIMITED
        return dict(sorted(more.items()))


def operations(views: Mapping[str, Any]) -> Iterator[Listed]:
    """Every declared operation of ``views`` (Faust's ``app.web.views``: path -> View) that is
    switched on."""
    for path, view in sorted(views.items()):
        for method, handler in view.methods.items():
            op = operation_of(handler)
            if op is not None and (op.when is None or op.when()):
                name = type(view).__name__.removesuffix("View").removesuffix("Page")
                yield path, method, f"{method}{name}", op


def document(
    views: Mapping[str, Any], *, title: str, version: str, about: str, door: Door = Door()
) -> dict[str, Any]:
    listed = list(operations(views))
    refs, components = _schemas(listed)
    paths: dict[str, dict[str, Any]] = {}
    for path, method, op_id, op in listed:
        paths.setdefault(path, {})[method] = _operation(path, op_id, op, refs, door)
    tags = sorted({op.tag for *_, op in listed})
    doc: dict[str, Any] = {
        "openapi": "3.1.0",
        "info": {"title": title, "version": version, "description": about},
        "tags": [{"name": t} for t in tags],
        "paths": paths,
        "components": {"schemas": components},
    }
    if door.keys:
        doc["components"]["securitySchemes"] = {SCHEME: {
            "type": "http", "scheme": "bearer",
            "description": "an API key of ORDERS_API_KEYS: role read, write or admin",
        }}  # fmt: skip
    OpenAPI.model_validate(doc)  # the document's own types checked (its dump would add defaults)
    return doc


Refs = dict[tuple[type[BaseModel], JsonSchemaMode], dict[str, Any]]


def _schemas(listed: list[Listed]) -> tuple[Refs, dict[str, Any]]:
    wanted: set[tuple[type[BaseModel], JsonSchemaMode]] = set()
    for *_, op in listed:
        if op.body is not None:
            wanted.add((op.body, "validation"))
        wanted |= {(a.model, "serialization") for a in op.answers.values() if a.model}
    ordered = sorted(wanted, key=lambda w: (w[0].__name__, w[1]))
    found, top = models_json_schema(ordered, ref_template=REF, schema_generator=_Answers)
    refs: Refs = {(model, mode): ref for (model, mode), ref in found.items() if _is_model(model)}
    return refs, top.get("$defs", {})


class _Answers(GenerateJsonSchema):
    """An answer always has all its fields (a default is filled in, not left out): in
    serialization mode every field is required, as the client sees it."""

    def field_is_required(self, field: Any, total: bool) -> bool:
        if self.mode == "serialization":
            return not field.get("serialization_exclude")
        return super().field_is_required(field, total)


def _is_model(model: object) -> TypeGuard[type[BaseModel]]:
    return isinstance(model, type) and issubclass(model, BaseModel)


def _operation(path: str, op_id: str, op: Operation, refs: Refs, door: Door) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "operationId": op_id,
        "summary": op.summary,
        "tags": [op.tag],
        "parameters": [
            *_path_parameters(path, op.path),
            *_query_parameters(op.query),
            *_header_parameters(op.headers),
        ],
        "responses": {
            str(status): _answer(answer, refs, op.links if i == 0 else {})
            for i, (status, answer) in enumerate(_with_router(path, door.answers(op)).items())
        },
    }
    if door.needs_key(op):
        spec["security"] = [{SCHEME: []}]
    if op.description:
        spec["description"] = op.description
    if op.body is not None:
        spec["requestBody"] = {
            "required": op.body_required,
            "content": {"application/json": {"schema": refs[(op.body, "validation")]}},
        }
    return spec


def _with_router(path: str, answers: Mapping[int, Answer]) -> dict[int, Answer]:
    """A path with parameters can also be a 404 from the router: a value it does not match
    (aiohttp's ``{x}`` takes no ``/``, ``{`` or ``}``) finds no route."""
    if not _PATH_PARAM.search(path) or 404 in answers:
        return dict(answers)
    return dict(sorted({**answers, 404: ERRORS[404]}.items()))


def _path_parameters(path: str, types: Mapping[str, Any]) -> list[dict[str, Any]]:
    return [
        {"name": name, "in": "path", "required": True, "schema": _schema_of(types.get(name, str))}
        for name in _PATH_PARAM.findall(path)
    ]


def _schema_of(kind: Any) -> dict[str, Any]:
    schema: dict[str, Any] = TypeAdapter(kind).json_schema()
    return schema


def _query_parameters(query: type[Query]) -> list[dict[str, Any]]:
    """One parameter per field of the query model, its schema the field's (never null: an
    absent parameter is how a query says None)."""
    schema = query.model_json_schema(ref_template=REF)
    if "$defs" in schema:  # their refs would dangle: query fields are scalars and Literals
        raise ValueError(f"{query.__name__}: a query parameter refers to a model")
    out = []
    for name, prop in schema.get("properties", {}).items():
        prop = dict(prop)
        description = prop.pop("description", None)
        prop.pop("title", None)
        options = [p for p in prop.pop("anyOf", []) if p != {"type": "null"}]
        if len(options) == 1:
            prop |= options[0]
        elif options:
            prop["anyOf"] = options
        if prop.get("default", 0) is None:
            del prop["default"]
        param = {"name": name, "in": "query", "required": name in schema.get("required", []),
                 "schema": prop, "description": description}  # fmt: skip
        out.append({k: v for k, v in param.items() if v is not None})
    return out


def _header_parameters(headers: Mapping[str, str]) -> list[dict[str, Any]]:
    return [
        {"name": name, "in": "header", "required": False, "description": what,
         "schema": {"type": "string", "minLength": 1, "maxLength": 200}}
        for name, what in headers.items()
    ]  # fmt: skip


def _answer(answer: Answer, refs: Refs, links: Mapping[str, Any]) -> dict[str, Any]:
    kind: Literal["serialization"] = "serialization"
    if answer.model is not None:
        body = refs[(answer.model, kind)]
    else:
        body = dict(answer.schema or {"type": "string"})
    out: dict[str, Any] = {
        "description": answer.description,
        "content": {answer.media: {"schema": body}},
    }
    if answer.headers:
        out["headers"] = {
            name: {"description": what, "schema": _header_schema(name)}
            for name, what in answer.headers.items()
        }
    if links:
        out["links"] = dict(links)
    return out


def _header_schema(name: str) -> dict[str, Any]:
    return {"type": "integer", "minimum": 1} if name == "Retry-After" else {"type": "string"}
