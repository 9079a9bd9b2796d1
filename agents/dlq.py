"""The dead-letter queue: orders.dlq → indexed by DLQ id → the ``dead-letters`` table; redrives.

Two steps, because ``orders.dlq`` is keyed by the *original* key (a null key too), while a redrive
names a DLQ id: ``index-dead-letters`` re-keys each record by its id onto an internal topic, where
``keep-dead-letters`` files it; redrive requests (``POST /dlq/redrive``, ``faust -A app dlq
redrive``) go to the same topic under the same key, so the one agent that owns an id sees its
record and every request for it in order, and redrives it once, whoever asked and how often.
"""

from __future__ import annotations

import logging
from typing import Any

from faust.types import EventT
from pydantic import TypeAdapter, ValidationError

from app.application import app
from app.observability.logs import audit, counters
from app.runtime.failures import until_done
from app.runtime.inflight import in_flight
from app.topics import dlq_index_topic, orders_dlq_topic
from domain import dlq
from domain.dead_letter import DeadLetter, payload_bytes
from domain.dlq import Entry, Filed, RedriveRequested
from domain.types import now_utc, utc_iso
from tables.dlq import dead_letters

log = logging.getLogger(__name__)
REDRIVEN_FROM = "redriven-from"
ByIdMessage = TypeAdapter[Filed | RedriveRequested](Filed | RedriveRequested)


async def index(event: EventT[Any]) -> str:
    msg = event.message
    try:
        letter = DeadLetter.model_validate_json(msg.value or b"")
    except ValidationError as exc:  # not ours (an outside client wrote it): kept on the topic
        counters.incr("dlq.unreadable")
        log.warning("orders.dlq %s@%s is not a DeadLetter: %s", msg.partition, msg.offset,
                    str(exc).splitlines()[0])  # fmt: skip
        audit({"receivedAt": utc_iso(now_utc()), "topic": msg.topic, "partition": msg.partition,
               "offset": msg.offset, "valid": False, "reason": "not a DeadLetter"})  # fmt: skip
        return "skipped"
    filed = Filed(entry=Entry(letter=letter, dlqPartition=msg.partition, dlqOffset=msg.offset))
    value = filed.model_dump_json().encode()
    await until_done(
        f"index {letter.id}", lambda: dlq_index_topic.send(key=letter.id.encode(), value=value)
    )
    return "indexed"


async def keep(event: EventT[Any]) -> str:
    msg = event.message
    try:
        request = ByIdMessage.validate_json(msg.value or b"")
    except ValidationError as exc:
        log.warning("%s@%s unreadable: %s", msg.topic, msg.offset, str(exc).splitlines()[0])
        return "skipped"
    if isinstance(request, Filed):
        filed = dlq.file(dead_letters.get(request.entry.letter.id), request.entry)
        if filed is not None:
            dead_letters.put(filed.letter.id, filed)
            counters.incr("dlq.filed")
        return "filed"
    entry = dead_letters.get(request.id)
    done = dlq.redrive(entry, request)
    if entry is None or done is None:
        log.info("redrive of %s: %s", request.id, "unknown id" if entry is None else "done before")
        return "unchanged"
    letter = entry.letter
    # Sent (and acknowledged) before the entry says so: a crash in between sends it again, which
    # the handlers absorb (its eventId is the same); the other order could lose the redrive.
    await until_done(
        f"redrive {letter.id}",
        lambda: app.producer.send_and_wait(
            letter.originalTopic,
            None if letter.originalKey is None else payload_bytes(letter.originalKey),
            payload_bytes(letter.originalPayload),
            partition=None,
            timestamp=None,
            headers=[(REDRIVEN_FROM, letter.id.encode())],
        ),
    )
    dead_letters.put(letter.id, done)
    counters.incr("dlq.redriven")
    log.info("redrove %s to %s (%s)", letter.id, letter.originalTopic, request.requestedBy)
    return "redriven"


@app.agent(orders_dlq_topic, name="index-dead-letters")
async def index_dead_letters(stream):  # type: ignore[no-untyped-def]
    """Reads ``orders.dlq``; sends each DeadLetter, keyed by its id, to the internal by-id topic."""
    async for event in stream.events():
        with in_flight.holding():
            outcome = await index(event)
        yield outcome


@app.agent(dlq_index_topic, name="keep-dead-letters")
async def keep_dead_letters(stream):  # type: ignore[no-untyped-def]
    """Reads the by-id topic; changes ``dead-letters``; redrives a record to its original topic
    with a ``redriven-from`` header, once."""
    async for event in stream.events():
        with in_flight.holding():
            outcome = await keep(event)
        yield outcome
