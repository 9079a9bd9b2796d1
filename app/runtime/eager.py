"""Delivery of a fetched record without four tasks per record (issue 16, direction 2).

Faust's fetch loop hands every record to the agents' queues as
``await consumer.wait_first(callback(message), consumer.suspend_flow.wait())``: mode's
``wait_first`` wraps the delivery, the flow's suspension, the consumer's stop and its crash in
four tasks and an ``asyncio.wait``, so that a delivery blocked on a full queue is given up when
a rebalance suspends the flow. A delivery almost never blocks: the queue has room, the flow
runs, and the callback returns without once giving up control. Then those four tasks were all
the work.

``EagerConsumer.wait_first`` runs the first coroutine by hand up to its first suspension. If it
returns without one, that is the answer (the others had not fired: they are checked before),
and nothing was scheduled. If it suspends, what is left of it is handed, with the others, to
mode's ``wait_first`` as before: the race against the flow's suspension is unchanged for the
one delivery that can lose it.

The part of a delivery before its first suspension now runs in the fetch loop's own task and
context, the rest (if any) in a task of its own: a delivery must not set a context variable,
seek (``OrderedConsumer.fetch_loops_seek`` tells the fetch loop by its task) or put a timeout on
its task. Faust's conductor and ``OrderedConsumer``'s recording do none of these."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Coroutine, Generator
from typing import Any, cast

from faust.transport.drivers import aiokafka as faust_kafka
from mode.services import WaitArgT, WaitResults
from mode.utils.times import Seconds


class Started:
    """The rest of a coroutine that was run by hand until it gave up control on ``yielded``
    (the future it awaits, or ``None`` for a bare ``sleep(0)``): awaiting this drives it on
    exactly as a task would have, with cancellation passed into it."""

    __slots__ = ("coro", "yielded")

    def __init__(self, coro: Coroutine[Any, Any, Any], yielded: Any) -> None:
        self.coro = coro
        self.yielded = yielded

    def __await__(self) -> Generator[Any, None, Any]:
        coro, yielded = self.coro, self.yielded
        while True:
            try:
                sent = yield yielded
            except BaseException as exc:  # a cancellation (or a close): into the coroutine
                if inspect.getcoroutinestate(coro) == inspect.CORO_CLOSED:
                    raise  # closed by ``wait_first`` when it lost the race: nothing to tell it
                try:
                    yielded = coro.throw(exc)
                except StopIteration as stop:
                    return stop.value
            else:
                try:
                    yielded = coro.send(sent)
                except StopIteration as stop:
                    return stop.value


def start(coro: Coroutine[Any, Any, Any]) -> tuple[bool, Any]:
    """Run ``coro`` up to its first suspension: ``(True, result)`` if it finished, else
    ``(False, Started)`` to await for the rest. What it raises, it raises here."""
    try:
        yielded = coro.send(None)
    except StopIteration as stop:
        return True, stop.value
    return False, Started(coro, yielded)


class EagerWaitFirst:
    """A mode ``Service`` mixin (Faust's consumer here) whose ``wait_first`` tries the first
    coroutine inline before it schedules anything."""

    async def wait_first(self, *coros: WaitArgT, timeout: Seconds | None = None) -> WaitResults:
        slow: Any = super().wait_first  # type: ignore[misc]  # mode's, on the Service
        first, rest = (coros[0], coros[1:]) if coros else (None, ())
        if not asyncio.iscoroutine(first) or timeout is not None or self._any_fired(rest):
            return cast(WaitResults, await slow(*coros, timeout=timeout))
        try:
            done, result = start(first)
        except BaseException:
            _close(rest)
            raise
        if not done:
            try:
                return cast(WaitResults, await slow(result, *rest))
            finally:
                # lost the race before its task took a step: the coroutine never heard of the
                # cancellation; closed here, it lets go of what it holds (the conductor's lock)
                if inspect.getcoroutinestate(first) == inspect.CORO_SUSPENDED:
                    first.close()
        _close(rest)
        return WaitResults([first], [result], False)

    def _any_fired(self, rest: tuple[WaitArgT, ...]) -> bool:
        """Whether the slow path must decide: the consumer stopped or crashed, its flow is
        suspended (the coroutine Faust's fetch loop races the delivery against waits for
        that), or something to wait for is not a coroutine. The slow path returns what fired."""
        service: Any = self
        suspend = getattr(service, "suspend_flow", None)
        return (
            service._stopped.is_set()
            or service._crashed.is_set()
            or (suspend is not None and suspend.is_set())
            or not all(asyncio.iscoroutine(o) for o in rest)
        )


class EagerConsumer(EagerWaitFirst, faust_kafka.Consumer):
    """Faust's aiokafka consumer, delivering inline (the app's consumers build on it)."""


def _close(coros: tuple[WaitArgT, ...]) -> None:
    """Coroutines never started: closed, as a finished ``wait_first`` cancels its others."""
    for coro in coros:
        if asyncio.iscoroutine(coro):
            coro.close()
