"""JSON Schema of every message, derived from the models (there is no hand-kept copy)."""

from __future__ import annotations

from typing import Any

from domain.dead_letter import DeadLetter
from domain.envelope import Envelope
from domain.messages import MESSAGE_TYPES


def json_schemas() -> dict[str, dict[str, Any]]:
    """``{eventType: schema of the whole envelope with that data}`` plus Envelope and DeadLetter."""
    envelope = Envelope.model_json_schema(mode="validation")
    docs: dict[str, dict[str, Any]] = {"Envelope": envelope}
    for name, cls in MESSAGE_TYPES.items():
        data = cls.model_json_schema(mode="serialization")
        defs = data.pop("$defs", {})  # refs point at the root, so the definitions live there
        docs[name] = {
            **envelope,
            **({"$defs": defs} if defs else {}),
            "title": name,
            "description": f"{name} on {cls.stream}, keyed by {cls.key_field}",
            "properties": {**envelope["properties"], "eventType": {"const": name}, "data": data},
        }
    docs["DeadLetter"] = DeadLetter.model_json_schema(mode="serialization")
    return docs
