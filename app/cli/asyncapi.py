"""``faust -A app asyncapi [--out FILE]``: the AsyncAPI 3.0 document of the topics, written to
``docs/asyncapi.yaml`` (``--out -``: printed). A test fails when the committed copy differs."""

from __future__ import annotations

import inspect
import sys
from importlib.metadata import version
from pathlib import Path
from typing import Any

import yaml
from faust.cli import AppCommand, option

import app.adapters.catalog as catalog_reader
from app.application import app
from app.cli.asyncapi_doc import Actor, Deployment, document
from app.runtime.senders import declared
from app.settings import settings
from app.topics import SPECS, logical_name
from domain.messages import MESSAGE_TYPES
from views.http.openapi import operations


def actors() -> list[Actor]:
    """Every agent (what it reads, in the app's group, and its ``@sends``), the catalog reader
    (every worker, outside the group) and the HTTP API (its operations' ``sends``)."""
    found = [
        Actor(
            name=agent.name,
            description=inspect.cleandoc(agent.fun.__doc__ or ""),
            reads=logical_name(agent.channel),
            sends=declared(agent),
            group=app.conf.id,
        )
        for agent in sorted(app.agents.values(), key=lambda a: a.name)
    ]
    found.append(
        Actor(
            name="catalog-reader",
            description=inspect.cleandoc(catalog_reader.__doc__ or ""),
            reads="inventory.catalog",
        )
    )
    writes = [(f"{m.upper()} {path}", op.sends) for path, m, _, op in operations(app.web.views)]
    sent = sorted({t.__name__ for _, types in writes for t in types})
    lines = "\n".join(
        f"- `{what}`: {', '.join(t.__name__ for t in ts)}" for what, ts in writes if ts
    )
    found.append(
        Actor(name="http-api", description=f"Writes, each on its own:\n{lines}", sends=tuple(sent))
    )
    found.append(
        Actor(name="any-agent", sends=("DeadLetter",),
              description="Any agent, for a record it cannot parse or validate, or could not "
              "handle after its retries: the record, why, and where it came from "
              "(`app.runtime.failures`).")
    )  # fmt: skip
    unsent = sorted(set(MESSAGE_TYPES) - {t for a in found for t in a.sends})
    found.append(
        Actor(name="clients", sends=tuple(unsent),
              description="What no agent and no HTTP route writes: other services, or a person "
              "with `faust -A app send TOPIC --key K VALUE`.")
    )  # fmt: skip
    return found


def build() -> dict[str, Any]:
    deployment = Deployment(
        title="Orders topics",
        version=version("kafka-orders"),
        bootstrap=settings.broker_url.removeprefix("kafka://"),
        prefix=settings.topic_prefix,
        partitions=settings.topic_partitions,
        replicas=settings.topic_replication,
        retention_ms={s.name: settings.retention_ms(dlq=s.dlq) for s in SPECS},
    )
    return document(SPECS, actors(), deployment)


def dump(doc: dict[str, Any]) -> str:
    text: str = yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, width=100)
    return text


@app.command(option("--out", default="docs/asyncapi.yaml", help="The file to write ('-': print)."))
async def asyncapi(self: AppCommand, out: str) -> None:
    """Write the AsyncAPI 3.0 document of every topic: channels, messages, who sends and reads."""
    text = dump(build())
    if out == "-":
        sys.stdout.write(text)
        return
    Path(out).write_text(text)
    self.say(f"wrote {out}")
