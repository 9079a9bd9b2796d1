"""What the agents' shell does when something fails: try a transient failure again with
backoff, give up on what can never succeed, dead-letter what cannot be processed, and send so
that the next commit waits for the broker (``DurableConsumer``)."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import socket
from collections.abc import Awaitable, Callable
from typing import TypeVar

from aiokafka.errors import KafkaError, KafkaTimeoutError
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential,
)

from app.application import app
from app.observability.logs import audit, counters
from app.runtime.eager import start
from app.runtime.errors import CircuitOpen, DependencyUnavailable
from app.runtime.received import Received, audit_line
from app.settings import settings
from app.topics import orders_dlq_topic
from domain.dead_letter import KEY_KEPT, DeadLetter, FailureReason, dead_letter, headers_of
from domain.envelope import Invalid, Parsed
from domain.types import now_utc

log = logging.getLogger(__name__)
HOST = socket.gethostname()
Handler = Callable[[Parsed], Awaitable[None]]
T = TypeVar("T")
# Failures worth another try: a dependency (gateway, circuit), a timeout, the broker's client.
TRANSIENT = (DependencyUnavailable, TimeoutError, ConnectionError, KafkaError)


def transient(exc: BaseException) -> bool:
    """A send or call that may succeed later (a broker down, a leader moving), not one that
    never will (a record too large, a bad topic)."""
    if isinstance(exc, KafkaError):
        return bool(exc.retriable) or isinstance(exc, KafkaTimeoutError)
    return isinstance(exc, (DependencyUnavailable, TimeoutError, ConnectionError))


async def with_retries(
    handler: Handler, parsed: Parsed, where: str, tries: list[int], budget: float | None = None
) -> None:
    """One handler call, bounded by ``ORDERS_HANDLER_TIMEOUT``; a transient failure is tried again
    after 1 s, 2 s, 4 s … (``ORDERS_RETRY_BASE``, ``…_MAX_DELAY``) up to ``ORDERS_RETRY_MAX``
    times. Meanwhile the partition waits (its order is the point), at most for the backoff.
    Handlers are idempotent (their effects carry the ids they applied), so a retry after a
    half-done attempt repeats nothing. ``tries[0]`` counts the attempts made.

    ``budget`` (a loop time): where one record runs several handlers, they share the longest
    handling of one (``Settings.longest_handling``), so a drain's wait still outlasts the record;
    a handler that would run past it gives up with a ``TimeoutError``. One that is done at its
    first try, without suspending, never looks at it (no timer is made)."""
    tries[0] += 1
    try:  # the first try outside tenacity's machinery (most records end here; ~5 % of a worker)
        await _first_try(handler, parsed, budget)
        return
    except Exception as exc:
        if settings.retry_max == 0 or not _worth_retrying(exc):
            raise
        _try_failed(where, 1, exc, min(settings.retry_base, settings.retry_max_delay))
    if budget is None:
        await _retried(handler, parsed, where, tries)
        return
    async with asyncio.timeout_at(budget):
        await _retried(handler, parsed, where, tries)


async def _retried(handler: Handler, parsed: Parsed, where: str, tries: list[int]) -> None:
    """``with_retries`` after a first try that failed: the backoff, then tenacity's tries."""
    await asyncio.sleep(min(settings.retry_base, settings.retry_max_delay))

    def before_sleep(state: RetryCallState) -> None:
        failure = state.outcome.exception() if state.outcome else None
        _try_failed(where, state.attempt_number + 1, failure, state.upcoming_sleep)

    retrying = AsyncRetrying(  # tries 2 … ORDERS_RETRY_MAX + 1, waiting 2 s, 4 s … before each
        stop=stop_after_attempt(settings.retry_max),
        wait=wait_exponential(multiplier=2 * settings.retry_base, max=settings.retry_max_delay),
        retry=retry_if_exception(_worth_retrying),
        before_sleep=before_sleep,
        reraise=True,
    )
    async for attempt in retrying:
        with attempt:
            tries[0] += 1
            async with asyncio.timeout(settings.handler_timeout):
                await handler(parsed)


async def _first_try(handler: Handler, parsed: Parsed, budget: float | None = None) -> None:
    """``handler(parsed)`` within ``ORDERS_HANDLER_TIMEOUT`` of its start. It runs inline up to
    its first suspension (``app.runtime.eager.start``); most handlers never suspend (their table
    writes are synchronous, their sends held by the outbox) and are done then, with no timer
    made and cancelled for them (``asyncio.timeout`` per record was 4 % of a worker). One that
    does suspend (a gateway call) finishes under the timeout, counted from its start: a timeout
    can only fire at a suspension, so the deadline is the same as around the whole call."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + settings.handler_timeout
    if budget is not None:
        deadline = min(deadline, budget)
    call = handler(parsed)
    if asyncio.iscoroutine(call):
        done, call = start(call)
        if done:
            return
    async with asyncio.timeout_at(deadline):
        await call


def _worth_retrying(exc: BaseException) -> bool:
    return isinstance(exc, TRANSIENT) and not isinstance(exc, CircuitOpen)


def _try_failed(where: str, attempt: int, failure: BaseException | None, wait: float) -> None:
    counters.incr("retries")
    log.warning("%s: try %d failed (%r), again in %.1f s", where, attempt, failure, wait)


async def until_done(
    what: str,
    step: Callable[[], Awaitable[T]],
    *,
    retry: Callable[[BaseException], bool] = transient,
) -> T:
    """Retry ``step`` with backoff while it fails in a way that may pass (a broker down); raise
    what never will. Faust acks a record whose agent raised, so a step that must happen is not
    given up for a failure that may pass. The first try runs outside tenacity (most end there)."""
    try:
        return await step()
    except Exception as exc:
        if not retry(exc):
            raise
        log.error("%s failed, retrying: %r", what, exc)
    await asyncio.sleep(min(settings.retry_base, settings.retry_max_delay))
    retrying = AsyncRetrying(  # then 2 s, 4 s …
        wait=wait_exponential(multiplier=2 * settings.retry_base, max=settings.retry_max_delay),
        retry=retry_if_exception(retry),
        reraise=True,
        before_sleep=lambda state: log.error(
            "%s failed, retrying: %r", what, state.outcome.exception() if state.outcome else None
        ),
    )
    async for attempt in retrying:
        with attempt:
            return await step()
    raise AssertionError("unreachable: tenacity retries until it returns or re-raises")


async def dead_letter_it(
    rec: Received,
    reason: FailureReason,
    error: str,
    result: Parsed | Invalid,
    retries: int = 0,
    agent: str | None = None,
) -> None:
    """Keep what cannot be processed: one audit line, one DLQ record keyed by the original key,
    with headers saying why (``dlq-reason`` …), so it can be filtered without parsing it.
    ``agent``: the handler that failed (processing, timeout), so replay knows whose effect is
    missing."""
    counters.incr("received")
    counters.incr("invalid")
    counters.incr(f"dlq.{reason}")
    audit(audit_line(rec, result, now_utc(), deadLettered=reason))
    record = dead_letter(
        rec, reason, error, group=app.conf.id, host=HOST, retries=retries, now=now_utc(),
        agent=agent,
    )  # fmt: skip
    where = f"dead-letter {rec.topic}/{rec.partition}@{rec.offset}"
    try:
        await until_done(where, lambda: _send_letter(record, rec.key))
    except Exception:  # the broker refuses this record for good: keep a smaller one
        log.exception("%s refused; sending it without its payload", where)
        small = record.model_copy(update={"originalPayload": record.originalPayload[:1024],
                                          "truncatedFrom": len(rec.value or b"")})  # fmt: skip
        try:
            await until_done(where, lambda: _send_letter(small, rec.key))
        except Exception:  # it stays in the audit trail, with its payload
            counters.incr("dlq.failed")
            log.exception("%s refused again: only the audit trail keeps it", where)


async def _send_letter(record: DeadLetter, key: bytes | None) -> None:
    if key is not None and len(key) > KEY_KEPT:  # a key that large is itself the problem
        key = hashlib.sha256(key).hexdigest().encode()
    value = record.model_dump_json().encode()
    await orders_dlq_topic.send(key=key, value=value, headers=headers_of(record))
