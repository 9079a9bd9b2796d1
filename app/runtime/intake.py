"""The shell around every agent's records: validate, audit, dead-letter, repair, send.

What the shell does when something fails (retry, dead-letter, tracked sends) is
``app.runtime.failures``."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import weakref
from collections.abc import AsyncIterator, Sequence
from typing import Any

import faust
from faust.streams import _current_event

from app.observability import tracing
from app.observability.logs import audit, counters
from app.runtime import senders
from app.runtime.batches import BATCH, batches
from app.runtime.failures import TRANSIENT, Handler, dead_letter_it, until_done, with_retries
from app.runtime.outbox import Lane, Outgoing, hold, replayed_alike
from app.runtime.parsing import parsed
from app.runtime.received import Received, audit_line, received
from app.runtime.repair import misplaced
from app.runtime.sends import Forward, send_record
from app.settings import settings
from app.topics import BY_NAME, logical_name
from domain import envelope
from domain.dead_letter import error_text, reason_for
from domain.envelope import Envelope, Invalid, Parsed
from domain.messages import MESSAGE_TYPES
from domain.types import now_utc

log = logging.getLogger(__name__)
HELD = settings.held_partitions()


Handlers = Handler | tuple[Handler, ...]


async def handle(
    event: faust.EventT[Any],
    topic: faust.TopicT,
    handler: Handlers,
    *,
    owner: bool = True,
    keyed: bool = True,
) -> str:
    """Run ``handler`` on one valid record; a tuple of handlers runs each in turn, on one parse
    and one delivery (each with its own retries, dead letter and lane: one failing leaves the
    others' effects). The topic's owner agent audits every record, sends invalid ones to the
    DLQ and repairs misplaced ones; other readers of the topic skip those. ``keyed=False`` for a
    regrouped stream, whose records are placed by their new key."""
    rec = received(event)
    name = logical_name(topic)
    if HELD and (name, rec.partition) in HELD:  # a drill: an agent stuck on this partition
        await asyncio.Event().wait()
    result = parsed(rec.value, name)
    event_type = None if isinstance(result, Invalid) else result.envelope.eventType
    # a consumer span, child of the one that sent the record (its headers), around all of it;
    # named after the topic the record came from (a repartition's, for a regrouped stream)
    with tracing.consuming(
        event.message.headers, logical_name(rec.topic), event_type, rec.partition, rec.offset
    ) as span:
        outcome = await _handle(rec, result, topic, handler, owner=owner, keyed=keyed)
        tracing.finished(span, outcome)
    return outcome


async def _handle(
    rec: Received, result: Parsed | Invalid, topic: faust.TopicT, handler: Handlers,
    *, owner: bool, keyed: bool,
) -> str:  # fmt: skip
    """``handle`` inside its span: the DLQ, the repair, or the handlers with their retries. The
    owner audits a valid record once, when at least one handler applied it (a handler that
    failed audits its own dead letter)."""
    if isinstance(result, Invalid):
        if owner:
            await dead_letter_it(rec, result.reason, result.error, result)
        return "dead-lettered" if owner else "skipped"
    if keyed:
        try:
            moved = await misplaced(topic, rec, result, envelope.key_of(result.body), repair=owner)
        except Exception as exc:  # the copy can never be sent (too large …): keep it instead
            log.exception("%s/%s@%s could not be forwarded", rec.topic, rec.partition, rec.offset)
            await dead_letter_it(rec, "processing", f"cannot forward: {exc!r}", result)
            return "dead-lettered"
        if moved:
            return "forwarded" if owner else "skipped"
    if isinstance(handler, tuple):  # they share one record's longest handling (``budget``)
        budget = asyncio.get_running_loop().time() + settings.longest_handling()
        outcomes = [await _apply(rec, result, one, budget) for one in handler]
        applied = "applied" in outcomes
        outcome = "applied" if all(o == "applied" for o in outcomes) else "dead-lettered"
    else:
        outcome = await _apply(rec, result, handler)
        applied = outcome == "applied"
    if owner and applied:
        counters.incr("received")
        counters.incr("valid")
        audit(audit_line(rec, result, now_utc()))
    return outcome


async def _apply(
    rec: Received, result: Parsed, handler: Handler, budget: float | None = None
) -> str:
    """One handler on one valid record: its retries (within ``budget``, a loop time, if given),
    its lane (its events leave after its table writes), and its dead letter if it fails for
    good."""
    where = f"{handler.__qualname__} on {rec.topic}/{rec.partition}@{rec.offset}"
    tries = [0]
    try:
        lane = lane_of(handler, rec.topic, rec.partition)

        async def refused(out: Outgoing, exc: BaseException) -> None:
            log.error("%s: %s refused for good: %r", where, described(out), exc)
            await dead_letter_it(rec, "processing", f"cannot send {described(out)}: {exc!r}",
                                 result, agent=handler.__qualname__)  # fmt: skip

        # its events leave after its table writes, unless its record replays alike
        async with lane.holding(refused, waits=not replayed_alike(handler)):
            await with_retries(handler, result, where, tries, budget)
    except Exception as exc:  # Faust would ack and skip it: keep it instead
        if isinstance(exc, TRANSIENT):
            log.warning("%s: gave up after %d tries: %r", where, tries[0], exc)  # one line
        else:
            log.exception("%s failed", where)
        await dead_letter_it(
            rec, reason_for(exc), error_text(exc), result, retries=tries[0] - 1,
            agent=handler.__qualname__,
        )  # fmt: skip
        return "dead-lettered"
    return "applied"


async def consume(
    stream: faust.Stream[Any],
    topic: faust.TopicT,
    handler: Handlers,
    *,
    concurrently: int = 0,
    owner: bool = True,
    keyed: bool = True,
) -> AsyncIterator[str]:
    """Every agent's loop: ``handle`` each record in offset order, taken in batches of what is
    already waiting (``app.runtime.batches``: no timer, no wait when idle), acked after its batch.

    ``concurrently=N`` (for handlers that wait on I/O, like a payment gateway): up to N records
    at a time, one key's records still in order (Faust's own agent ``concurrency`` would commit
    offsets past records still in flight)."""
    async with contextlib.aclosing(batches(stream, concurrently or BATCH)) as taken:
        async for batch in taken:
            if not concurrently:
                for event in batch:
                    yield await handle(event, topic, handler, owner=owner, keyed=keyed)
                continue
            for outcome in await _by_key(list(batch), topic, handler, owner=owner, keyed=keyed):
                yield outcome


async def _by_key(
    events: Sequence[faust.EventT[Any]], topic: faust.TopicT, handler: Handlers, **options: bool
) -> list[str]:
    """Records of one key in offset order, records of different keys at the same time, so one
    slow call (a payment gateway) does not hold the others.

    Each record is handled with itself as Faust's ``current_event()``: a table writes to the
    RocksDB partition and the changelog partition of the current event (task-local here)."""
    by_key: dict[bytes | None, list[faust.EventT[Any]]] = {}
    for event in events:
        by_key.setdefault(event.message.key, []).append(event)

    async def in_order(group: list[faust.EventT[Any]]) -> list[str]:
        done = []
        for event in group:
            _current_event.set(weakref.ref(event))
            done.append(await _until_handled(event, topic, handler, **options))
        return done

    results = await asyncio.gather(*(in_order(group) for group in by_key.values()))
    return [outcome for group in results for outcome in group]


async def _until_handled(
    event: faust.EventT[Any], topic: faust.TopicT, handler: Handlers, **options: bool
) -> str:
    """``handle`` keeps what a handler raises, and dead-letters what cannot be forwarded; what
    still escapes it is retried with backoff until it goes through: nothing may leave a
    batch unhandled, so a record retried here holds its batch, and is never lost."""
    where = f"{event.message.topic}@{event.message.offset}"
    return await until_done(
        where,
        lambda: handle(event, topic, handler, **options),
        retry=lambda exc: isinstance(exc, Exception),  # never a cancellation
    )


async def send_envelope(env: Envelope) -> None:
    """Send one envelope to its topic; from a handler, once its table writes are on the broker
    (``app.runtime.outbox``)."""
    senders.check(env)
    if not hold(env):
        await _send_now(env)


async def forward(topic: faust.TopicT, key: bytes, value: bytes, what: str) -> None:
    """Send a record received as it came, under a new key (a repartition), with the trace
    context of the consumer span around it. From a handler it leaves as its events do: in the
    handler's lane, in order, retried while the broker cannot take it, outside the handler's
    timeout; the next commit waits for its ack (``DurableConsumer``)."""
    out = Forward(topic, key, value, tracing.current_headers(), what)
    if not hold(out):
        await _send_now(out)


def described(out: Outgoing) -> str:
    return out.what if isinstance(out, Forward) else f"{out.eventType} {out.eventId}"


async def _send_now(env: Outgoing) -> Any:
    """Hand one envelope to the producer, keyed as its topic says, in a producer span whose trace
    context travels in the record's headers (none while tracing is off); returns its ack future.
    A ``Forward`` goes as it came, with the headers it was given."""
    if isinstance(env, Forward):
        return await send_record(env.topic, env.key, env.value, env.headers)
    body_type = MESSAGE_TYPES[env.eventType]
    key = str(env.data[body_type.key_field])
    with tracing.producing(body_type.stream, env.eventType, env.eventId) as headers:
        return await send_record(
            BY_NAME[body_type.stream], key.encode(), envelope.dumps(env), headers
        )


async def _send_released(env: Outgoing) -> Any:
    return await until_done(f"send {described(env)}", lambda: _send_now(env))


_lanes: dict[tuple[Handler, str, int], Lane] = {}


def lane_of(handler: Handler, topic: str, partition: int) -> Lane:
    """One lane per handler and input partition: its events leave in the order its records
    were handled, and a slow changelog partition holds only the lanes that wrote to it."""
    lane = _lanes.get((handler, topic, partition))
    if lane is None:
        lane = _lanes[handler, topic, partition] = Lane(_send_released)
    return lane
