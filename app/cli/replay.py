"""``faust -A app replay --output FILE [--compare URL]``: rebuild the read side from the topics.

It reads ``orders.events`` and ``inventory.commands`` from the beginning, outside any consumer
group (the workers' offsets are untouched), and folds them with the agents' own domain
functions (``domain.replay``). What the agents leave out is left out here too: invalid records
(dead-lettered), misplaced ones (their forwarded copy counts), and, for the projection of the
agent that failed on it, a record the DLQ holds after a processing failure or a timeout.
``--compare`` diffs the result against a live worker's read side and exits 1 on any
difference, printing the first few.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Any

import httpx
import orjson
from faust.cli import AppCommand, option
from pydantic import ValidationError
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from tenacity import AsyncRetrying, retry_if_exception_type, stop_after_delay, wait_fixed

from app.adapters.kafka import bootstrap_servers
from app.adapters.readall import ReadToEnd, read_all
from app.application import app
from app.runtime.partitioning import partition_for
from app.settings import settings
from app.topics import inventory_commands_topic, orders_dlq_topic, orders_events_topic
from domain import envelope
from domain.dead_letter import DeadLetter, payload_bytes
from domain.envelope import Parsed
from domain.replay import Projections, differences

# The handlers whose effects replay rebuilds: the tracker (statuses), the aggregator (totals,
# fed by the by-user repartition of orders.events), the inventory agent (stock).
STATUSES, TOTALS, STOCK = "track", "aggregate", "apply_stock_command"
# A handler whose dead letter is another's missing effect: the by-user forward's (the aggregator
# never had the event).
FEEDS = {"regroup": TOTALS}


async def dead_lettered(bootstrap: str) -> dict[str, set[str]]:
    """handler -> the eventIds it gave up on after a failure (its effect never happened). By
    eventId, not position: the aggregator reads a repartition of orders.events, so its DLQ
    records name positions there; and each of the handlers of orders.events fails alone."""
    out: dict[str, set[str]] = {STATUSES: set(), TOTALS: set(), STOCK: set()}
    for record in await read_all(bootstrap, [orders_dlq_topic.get_topic_name()]):
        try:
            letter = DeadLetter.model_validate_json(record.value or b"")
        except ValidationError:
            continue
        handler = FEEDS.get(letter.agent or "", letter.agent)
        if handler in out and letter.truncatedFrom is None:
            parsed = envelope.parse(payload_bytes(letter.originalPayload))
            if isinstance(parsed, Parsed):
                out[handler].add(str(parsed.envelope.eventId))
    return out


async def rebuild(bootstrap: str, quiet: bool = False) -> tuple[Projections, dict[str, int]]:
    events, commands = (
        orders_events_topic.get_topic_name(),
        inventory_commands_topic.get_topic_name(),
    )
    skip = await dead_lettered(bootstrap)
    seen = {"records": 0, "applied": 0, "invalid": 0, "misplaced": 0, "deadLettered": 0}
    skipped = sum(len(ids) for ids in skip.values())
    views = Projections()
    async with ReadToEnd(bootstrap, [events, commands]) as reading:
        counts = reading.partition_counts()
        columns = (TextColumn("replay"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
        with Progress(*columns, disable=quiet, transient=False) as bar:
            task = bar.add_task("replay", total=reading.total)

            def progress(done: int, total: int) -> None:
                bar.update(task, completed=done)

            async for rec in reading.records(progress):
                seen["records"] += 1
                stream = "orders.events" if rec.topic == events else "inventory.commands"
                parsed = envelope.parse(rec.value, stream)
                if not isinstance(parsed, Parsed):
                    seen["invalid"] += 1
                    continue
                key = envelope.key_of(parsed.body).encode()
                if rec.key != key or rec.partition != partition_for(key, counts[rec.topic]):
                    seen["misplaced"] += 1
                    continue
                seen["applied"] += 1
                event_id = str(parsed.envelope.eventId)
                if rec.topic == events:
                    views.order_event(
                        parsed, status=event_id not in skip[STATUSES],
                        totals=event_id not in skip[TOTALS],
                    )  # fmt: skip
                elif event_id not in skip[STOCK]:
                    views.stock_command(parsed, rec.offset)
    seen["deadLettered"] = skipped
    return views, seen


async def _get(client: httpx.AsyncClient, path: str, **params: str) -> Any:
    """A read, retried for a while when the worker says 503 (rebalancing, recovering)."""
    retrying = AsyncRetrying(
        stop=stop_after_delay(60), wait=wait_fixed(1), reraise=True,
        retry=retry_if_exception_type((httpx.TransportError, _Unavailable)),
    )  # fmt: skip
    async for attempt in retrying:
        with attempt:
            resp = await client.get(path, params=params)
            if resp.status_code == 503:
                raise _Unavailable(resp.text)
            if resp.status_code == 404:
                return None
            resp.raise_for_status()
            return resp.json()
    raise AssertionError("unreachable: tenacity re-raises")


class _Unavailable(Exception):
    pass


async def _all_pages(client: httpx.AsyncClient, path: str, key: str) -> dict[str, Any]:
    items: dict[str, Any] = {}
    cursor = ""
    while True:
        page = await _get(client, path, limit="500", **({"cursor": cursor} if cursor else {}))
        items.update({item[key]: item for item in page["items"]})
        if not page["nextCursor"]:
            return items
        cursor = page["nextCursor"]


async def live_read_side(url: str, skus: list[str]) -> dict[str, dict[str, Any]]:
    """The same three projections as a client sees them over HTTP."""
    headers = settings.api_headers()
    async with httpx.AsyncClient(base_url=url.rstrip("/"), timeout=30, headers=headers) as client:
        orders_, users = await asyncio.gather(
            _all_pages(client, "/orders", "orderId"), _all_pages(client, "/aggregates", "userId")
        )
        found = await asyncio.gather(*(_get(client, f"/inventory/{sku}") for sku in skus))
    stock = {sku: level for sku, level in zip(skus, found, strict=True) if level is not None}
    return {"orders": orders_, "users": users, "stock": stock}


@app.command(
    option("--output", required=True, help="Write the rebuilt projections here (JSON)."),
    option("--compare", default=None, help="A worker's URL: diff its read side, exit 1 if any."),
    option("--show", type=int, default=5, show_default=True, help="Differences printed."),
    option("--quiet", is_flag=True, default=False, help="No progress bar."),
)
async def replay(
    self: AppCommand, output: str, compare: str | None, show: int, quiet: bool
) -> None:
    """Rebuild order statuses, user totals and stock from the topics, outside the live group."""
    views, seen = await rebuild(bootstrap_servers(), quiet=quiet)
    replayed = views.public()
    Path(output).write_bytes(
        orjson.dumps(
            {**replayed, "source": seen}, option=orjson.OPT_INDENT_2 | orjson.OPT_APPEND_NEWLINE
        )
    )
    sizes = ", ".join(f"{len(v)} {k}" for k, v in replayed.items())
    self.say(f"replayed {seen['records']} records ({seen['applied']} applied, "
             f"{seen['invalid']} invalid, {seen['misplaced']} misplaced, "
             f"{seen['deadLettered']} dead-lettered): {sizes} → {output}")  # fmt: skip
    if compare is None:
        return
    live = await live_read_side(compare, sorted(replayed["stock"]))
    diffs = differences(replayed, live)
    if not diffs:
        self.say(f"no difference with {compare}")
        return
    self.say(f"{len(diffs)} differences with {compare}; the first {min(show, len(diffs))}:",
             file=sys.stderr)  # fmt: skip
    for line in diffs[:show]:
        self.say(f"  {line}", file=sys.stderr)
    raise SystemExit(1)
