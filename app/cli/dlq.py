"""``faust -A app dlq list|show ID|stats|redrive``: the DLQ inspector, from any machine that
reaches the broker. It reads ``orders.dlq`` and the ``dead-letters`` changelog from the beginning
(no consumer group); a redrive asks the workers' DLQ agent, which redrives each record once."""

from __future__ import annotations

import asyncio
import socket
import sys
import time
from typing import get_args

import click
import orjson
from aiokafka import AIOKafkaProducer
from faust.cli import AppCommand, argument, option
from pydantic import ValidationError
from rich.console import Console
from rich.table import Table

from app.adapters.kafka import bootstrap_servers
from app.adapters.kafka_auth import aiokafka_options
from app.adapters.readall import read_all
from app.application import app
from app.topics import dlq_index_topic, orders_dlq_topic
from domain import dlq
from domain.dead_letter import DeadLetter, FailureReason
from domain.dlq import Entry
from tables.dlq import dead_letters

ACTIONS = ("list", "show", "stats", "redrive")


async def load_entries() -> list[Entry]:
    """Every DLQ record, with its redrive state where the workers have filed it."""
    return (await _load())[0]


async def _load() -> tuple[list[Entry], set[str]]:
    """Every DLQ record, and the ids the workers have filed (only those can be redriven: a
    request for an id the DLQ agent has not filed yet finds nothing to redrive)."""
    changelog = dead_letters.table.changelog_topic.get_topic_name()
    bootstrap = bootstrap_servers()
    letters, filed = await asyncio.gather(
        read_all(bootstrap, [orders_dlq_topic.get_topic_name()]), read_all(bootstrap, [changelog])
    )
    entries: dict[str, Entry] = {}
    for record in filed:
        if record.value is not None:
            entry = Entry.model_validate_json(record.value)
            entries[entry.letter.id] = entry
    filed_ids = set(entries)
    for record in letters:
        try:
            letter = DeadLetter.model_validate_json(record.value or b"")
        except ValidationError:
            continue  # not a DeadLetter (an outside client wrote it)
        if letter.id not in entries:
            entries[letter.id] = Entry(
                letter=letter, dlqPartition=record.partition, dlqOffset=record.offset
            )
    return dlq.newest_first(list(entries.values())), filed_ids


def _table(entries: list[Entry]) -> Table:
    table = Table("id", "at", "reason", "from", "retries", "redriven", "error", expand=True)
    for e in entries:
        letter = e.letter
        table.add_row(
            letter.id,
            letter.timestamp.strftime("%Y-%m-%d %H:%M:%S"),
            letter.failureReason,
            f"{letter.originalTopic}/{letter.originalPartition}@{letter.originalOffset}",
            str(letter.retryCount),
            "yes" if e.redrivenAt else "",
            letter.errorMessage[:120],
        )
    return table


async def _send_requests(ids: list[str]) -> None:
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap_servers(),
        acks="all",
        enable_idempotence=True,
        **aiokafka_options(),
    )
    await producer.start()
    try:
        by = f"cli {socket.gethostname()}"
        for dlq_id in ids:
            key, value = dlq.redrive_request(dlq_id, by)
            await producer.send_and_wait(dlq_index_topic.get_topic_name(), key=key, value=value)
    finally:
        await producer.stop()


async def redrive(say: AppCommand, chosen: list[Entry], filed: set[str], wait: float) -> int:
    """Ask for the redrive of what is not redriven yet; wait until the workers did it."""
    todo = dlq.triage([e for e in chosen if e.letter.id in filed])["requested"]
    for e in chosen:
        if e.letter.id not in filed:
            say.say(f"not filed yet     {e.letter.id}  (the workers' DLQ agent has not indexed "
                    "it: is a worker running? try again)", file=sys.stderr)  # fmt: skip
            continue
        if e.redrivenAt is not None:
            say.say(f"already redriven  {e.letter.id}  ({e.redrivenAt:%Y-%m-%d %H:%M:%S})")
        elif not dlq.redrivable(e):
            say.say(f"not redrivable    {e.letter.id}  (payload of {e.letter.truncatedFrom} "
                    f"bytes truncated; the original is at {e.letter.originalTopic}/"
                    f"{e.letter.originalPartition}@{e.letter.originalOffset})")  # fmt: skip
    if not todo:
        return 1 if any(e.letter.id not in filed for e in chosen) else 0
    await _send_requests(todo)
    deadline = time.monotonic() + wait
    pending = set(todo)
    while pending and time.monotonic() < deadline:
        await asyncio.sleep(0.5)
        now = {e.letter.id: e for e in await load_entries()}
        for dlq_id in sorted(pending):
            entry = now.get(dlq_id)
            if entry is not None and entry.redrivenAt is not None:
                pending.discard(dlq_id)
                say.say(f"redriven          {dlq_id}  → {entry.letter.originalTopic}")
    for dlq_id in sorted(pending):
        say.say(f"requested         {dlq_id}  (not done within {wait:g} s: is a worker running?)",
                file=sys.stderr)  # fmt: skip
    return 1 if pending or any(e.letter.id not in filed for e in chosen) else 0


@app.command(
    argument("action", type=click.Choice(ACTIONS)),
    argument("dlq_id", required=False),
    option("--id", "ids", multiple=True, help="redrive: this DLQ id (repeatable)"),
    option(
        "--reason",
        type=click.Choice(get_args(FailureReason)),
        default=None,
        help="list/redrive: only this failure reason",
    ),
    option("--all", "everything", is_flag=True, default=False, help="redrive: every record"),
    option("--limit", type=int, default=50, show_default=True, help="list: at most this many"),
    option("--json", "as_json", is_flag=True, default=False, help="print JSON, not a table"),
    option(
        "--wait",
        type=float,
        default=30.0,
        show_default=True,
        help="redrive: seconds to wait for the workers to do it",
    ),
)
async def dlq_command(
    self: AppCommand,
    action: str,
    dlq_id: str | None,
    ids: tuple[str, ...],
    reason: str | None,
    everything: bool,
    limit: int,
    as_json: bool,
    wait: float,
) -> None:
    """The dead-letter queue: list, show ID, stats, redrive --id ID | --reason R | --all."""
    entries, filed = await _load()
    out = Console(soft_wrap=True)
    if action == "list":
        chosen = dlq.selected(entries, reason=reason, everything=True)[:limit]
        if as_json:
            print(orjson.dumps([e.public() for e in chosen]).decode())
        else:
            out.print(_table(chosen))
            out.print(f"{len(chosen)} shown of {len(entries)} records")
    elif action == "show":
        found = dlq.selected(entries, ids=[dlq_id or ""])
        if not found:
            self.say(f"no DLQ record {dlq_id!r}", file=sys.stderr)
            raise SystemExit(1)
        print(orjson.dumps(found[0].public(), option=orjson.OPT_INDENT_2).decode())
    elif action == "stats":
        print(orjson.dumps(dlq.stats(entries), option=orjson.OPT_INDENT_2).decode())
    else:
        if sum((bool(ids), reason is not None, everything)) != 1:
            self.say("redrive needs exactly one of --id ID, --reason R, --all", file=sys.stderr)
            raise SystemExit(2)
        chosen = dlq.selected(entries, ids=list(ids), reason=reason, everything=everything)
        unknown = sorted(set(ids) - {e.letter.id for e in chosen})
        for missing in unknown:
            self.say(f"unknown           {missing}", file=sys.stderr)
        failed = await redrive(self, chosen, filed, wait)
        if failed or unknown:
            raise SystemExit(1)
