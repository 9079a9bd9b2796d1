"""JSON Schema of every message, derived from the models."""

from __future__ import annotations

import orjson

from domain.schemas import json_schemas


def test_schemas_cover_every_message_and_resolve_refs() -> None:
    docs = json_schemas()
    assert {"Envelope", "DeadLetter", "OrderCreated", "PlaceOrder", "UserTotals"} <= set(docs)
    created = docs["OrderCreated"]
    assert created["properties"]["eventType"] == {"const": "OrderCreated"}
    text = orjson.dumps(created).decode()
    for ref in {part.split('"')[0] for part in text.split('"$ref":"#/$defs/')[1:]}:
        assert ref in created["$defs"]
