"""``faust -A app schemas [--out DIR]``: the JSON Schema of every message, from the models."""

from __future__ import annotations

import json
from pathlib import Path

from faust.cli import AppCommand, option

from app.application import app
from domain.schemas import json_schemas


@app.command(
    option("--out", default=None, help="Write one <eventType>.schema.json per message here.")
)
async def schemas(self: AppCommand, out: str | None) -> None:
    """Print (or write) the JSON Schema of every message, envelope included."""
    docs = json_schemas()
    if out is None:
        print(json.dumps(docs, indent=2))
        return
    Path(out).mkdir(parents=True, exist_ok=True)
    for name, doc in docs.items():
        (Path(out) / f"{name}.schema.json").write_text(json.dumps(doc, indent=2) + "\n")
    self.say(f"wrote {len(docs)} schemas to {out}")
