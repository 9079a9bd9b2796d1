"""The OpenAPI document: valid OpenAPI 3.1, every route of the worker in it (but the internal
ones), and what a client needs from it: errors, Retry-After, Idempotency-Key, Location, links."""

from __future__ import annotations

import importlib
import pkgutil
from typing import Any

import orjson
import pytest
from openapi_spec_validator import validate

import views
from app.application import app
from app.settings import settings
from views.http.contract import operation_of
from views.http.openapi import Door, document, operations

NOT_DOCUMENTED = {"/internal/scan/{name}", "/docs/assets/docs-init.js"}  # worker to worker, assets


@pytest.fixture(scope="module")
def doc() -> dict[str, Any]:
    for module in pkgutil.walk_packages(views.__path__, "views."):
        importlib.import_module(module.name)
    from views.docs import openapi

    document: dict[str, Any] = orjson.loads(openapi())
    return document


def test_the_document_is_valid_openapi_3_1(doc: dict[str, Any]) -> None:
    validate(doc)  # raises with the path of what is wrong
    assert doc["openapi"] == "3.1.0"


def test_every_route_and_method_of_the_worker_is_documented(doc: dict[str, Any]) -> None:
    served = {
        (path, method)
        for path, view in app.web.views.items()
        for method in view.get_methods() - {"HEAD"}
    }
    documented = {(path, m.upper()) for path, ops in doc["paths"].items() for m in ops}
    missing = {(p, m) for p, m in served - documented if p not in NOT_DOCUMENTED}
    assert missing == {("/payments/outage", "POST")}  # fault injection is off by default
    assert documented <= served
    for path in NOT_DOCUMENTED:
        view = app.web.views[path]
        assert all(operation_of(view.methods[m.lower()]) is None for m in view.get_methods())


def test_every_operation_answers_its_errors_as_json_with_retry_after_where_due(
    doc: dict[str, Any],
) -> None:
    for path, method, op_id, _ in operations(app.web.views):
        answers = doc["paths"][path][method]["responses"]
        assert "400" in answers, (path, method)  # any query can be wrong
        for status, answer in answers.items():
            if int(status) >= 400:
                schema = answer["content"]["application/json"]["schema"]["$ref"]
                assert schema.rsplit("/", 1)[1] in {"Problem", "Invalid", "Health"}, op_id
            if status in ("429", "503"):
                assert "Retry-After" in answer["headers"], (op_id, status)
        assert doc["paths"][path][method]["operationId"] == op_id


def test_a_path_with_parameters_can_answer_the_routers_404(doc: dict[str, Any]) -> None:
    for path, ops in doc["paths"].items():
        for method, op in ops.items():
            assert ("{" in path) <= ("404" in op["responses"]), (path, method)
    answer = doc["paths"]["/openapi.json"]["get"]["responses"]["200"]["content"]
    assert answer["application/json"]["schema"] == {"type": "object"}


def test_placing_an_order_documents_its_key_its_statuses_and_the_link_to_its_status(
    doc: dict[str, Any],
) -> None:
    post = doc["paths"]["/orders"]["post"]
    assert {p["name"]: p["in"] for p in post["parameters"]} == {"Idempotency-Key": "header"}
    assert set(post["responses"]) == {"202", "400", "413", "422", "429", "503"}
    accepted = post["responses"]["202"]
    assert "Location" in accepted["headers"]
    link = accepted["links"]["status"]
    assert link["parameters"] == {"order_id": "$response.body#/orderId"}
    status_ops = [op for ops in doc["paths"].values() for op in ops.values()]
    assert link["operationId"] in {op["operationId"] for op in status_ops}
    body = post["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    order = doc["components"]["schemas"][body.rsplit("/", 1)[1]]
    assert order["additionalProperties"] is False and set(order["required"]) == {
        "userId", "items", "currency"
    }  # fmt: skip


def test_the_long_poll_and_list_parameters_carry_their_bounds(doc: dict[str, Any]) -> None:
    status = doc["paths"]["/orders/{order_id}/status"]["get"]["parameters"]
    params = {p["name"]: p for p in status}
    assert params["order_id"]["in"] == "path" and params["order_id"]["required"] is True
    assert params["wait"]["schema"]["minimum"] == 0
    assert params["until"]["schema"]["const"] == "terminal"
    listing = {p["name"]: p["schema"] for p in doc["paths"]["/orders"]["get"]["parameters"]}
    assert (listing["limit"]["minimum"], listing["limit"]["maximum"]) == (1, 500)
    assert "CONFIRMED" in listing["status"]["enum"]


def test_answers_are_the_models_the_handlers_answer_with(doc: dict[str, Any]) -> None:
    from domain.order_status import OrderShown

    shown = doc["components"]["schemas"]["OrderShown"]
    assert set(shown["properties"]) == set(OrderShown.model_fields)
    assert set(shown["required"]) == set(OrderShown.model_fields)  # an answer has every field
    page = doc["paths"]["/orders"]["get"]["responses"]["200"]["content"]["application/json"]
    assert page["schema"]["$ref"].endswith("Page_OrderShown_")


def test_with_keys_each_operation_says_what_it_needs_and_switched_on_ops_appear(
    doc: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    on = settings.model_copy(update={"fault_injection": True})
    monkeypatch.setattr("views.payments.settings", on)
    keyed = document(app.web.views, title="t", version="1", about="a",
                     door=Door(keys=True, read_auth=False, rate_limit=True))  # fmt: skip
    validate(keyed)
    assert keyed["components"]["securitySchemes"]["apiKey"]["scheme"] == "bearer"
    paths = keyed["paths"]
    writes = ["/orders", "/dlq/redrive", "/payments/outage", "/carts/{user_id}/items"]
    for path in writes:
        op = paths[path]["post"]
        assert op["security"] == [{"apiKey": []}], path
        assert {"401", "403", "429"} <= set(op["responses"]), path
        assert "WWW-Authenticate" in op["responses"]["401"]["headers"]
    for path in ("/orders", "/health", "/docs"):  # reads open: no key, no 401
        assert "security" not in paths[path]["get"] and "401" not in paths[path]["get"]["responses"]
    read_keyed = document(app.web.views, title="t", version="1", about="a",
                          door=Door(keys=True, read_auth=True))  # fmt: skip
    listing = read_keyed["paths"]["/orders"]["get"]
    assert listing["security"] == [{"apiKey": []}] and "401" in listing["responses"]
    assert "403" not in listing["responses"]  # any role reads
    assert "security" not in read_keyed["paths"]["/health"]["get"]  # probes stay open
    assert "security" not in doc["paths"]["/orders"]["post"]  # the served one: no keys here
