"""Check an HTTP answer against the OpenAPI document a worker serves: its status is declared
for the operation, and its body is valid against the declared schema."""

from __future__ import annotations

from typing import Any

import httpx
from jsonschema import Draft202012Validator  # type: ignore[import-untyped]


def conforms(doc: dict[str, Any], path: str, method: str, resp: httpx.Response) -> None:
    """Raise AssertionError naming what differs (``path`` is the document's template)."""
    answers = doc["paths"][path][method.lower()]["responses"]
    assert str(resp.status_code) in answers, f"{method} {path}: {resp.status_code} undeclared"
    content = answers[str(resp.status_code)]["content"]
    media = resp.headers.get("content-type", "").split(";")[0]
    assert media in content, f"{method} {path}: {media} undeclared"
    if media != "application/json":
        return
    schema = {**content[media]["schema"], "components": doc["components"]}
    errors = sorted(Draft202012Validator(schema).iter_errors(resp.json()), key=str)
    assert not errors, f"{method} {path} {resp.status_code}: {errors[0].message} {resp.text}"
    for header in answers[str(resp.status_code)].get("headers", {}):
        assert header in resp.headers, f"{method} {path} {resp.status_code}: no {header}"
