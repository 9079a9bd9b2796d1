"""``docs/asyncapi.yaml`` is what ``faust -A app asyncapi`` generates (a change to a message, a
topic or a sender without regenerating it fails here), valid by the AsyncAPI CLI's validator,
and says for every topic what it carries and who writes and reads it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from app.topics import SPECS
from domain.messages import MESSAGE_TYPES

REPO = Path(__file__).resolve().parents[4]
COMMITTED = REPO / "docs" / "asyncapi.yaml"
CLI = REPO / ".asyncapi" / "node_modules" / ".bin" / "asyncapi"


@pytest.fixture(scope="module")
def generated() -> str:
    """The command's output with the default settings (no ORDERS_* or BROKER_URL set)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ORDERS_", "BROKER_URL"))}
    run = subprocess.run(
        [sys.executable, "-m", "faust", "-A", "app", "asyncapi", "--out", "-"],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    return run.stdout


def test_the_committed_document_is_the_generated_one(generated: str) -> None:
    assert COMMITTED.read_text() == generated, (
        "docs/asyncapi.yaml is stale: run `faust -A app asyncapi` and commit it"
    )


def test_the_asyncapi_cli_finds_the_document_valid() -> None:
    assert CLI.exists(), "the AsyncAPI CLI is missing: run `make asyncapi-cli`"
    run = subprocess.run(
        [str(CLI), "validate", str(COMMITTED), "--fail-severity", "warn"],
        env={**os.environ, "CI": "true"}, capture_output=True, text=True, timeout=300,
        check=False,
    )  # fmt: skip
    assert run.returncode == 0, run.stdout + run.stderr


def test_every_topic_says_what_it_carries_and_who_writes_and_reads_it(generated: str) -> None:
    doc: dict[str, Any] = yaml.safe_load(generated)
    assert doc["asyncapi"].startswith("3.0")
    channels, operations = doc["channels"], doc["operations"]
    assert set(channels) == {s.name for s in SPECS}
    carried = [m for c in channels.values() for m in c["messages"]]
    assert sorted(carried) == sorted([*MESSAGE_TYPES, "DeadLetter"])  # each on exactly one
    for name, spec in ((s.name, s) for s in SPECS):
        binding = channels[name]["bindings"]["kafka"]
        assert binding["partitions"] >= 1
        assert (binding["topicConfiguration"]["cleanup.policy"] == ["compact"]) == spec.compacted
    sent = {
        ref["$ref"].rsplit("/", 1)[1]: op_id.split(".")[0]
        for op_id, op in operations.items()
        if op["action"] == "send"
        for ref in op["messages"]
    }
    assert set(sent) == {*MESSAGE_TYPES, "DeadLetter"}  # every message has a sender
    assert sent["PlaceOrder"] == "http-api" and sent["OrderTimedOut"] == "follow-order-events"
    assert sent["StockReserved"] == "manage-inventory" and sent["UserUpdated"] == "clients"
    read = {op["channel"]["$ref"].rsplit("/", 1)[1] for op in operations.values()
            if op["action"] == "receive"}  # fmt: skip
    assert read == {s.name for s in SPECS} - {"orders.aggregates"}  # read by downstream services
    envelope = doc["components"]["schemas"]["Envelope"]
    assert {"eventId", "eventType", "version", "data"} <= set(envelope["required"])
