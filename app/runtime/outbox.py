"""The outbox order: a handler's events leave only once the table writes that decided them are on
the broker.

A handler reads its table, decides, writes the decision (a changelog record, buffered) and sends
events. Sent in that order, the events could reach the broker while the changelog record was
still in the producer's buffer: the kill loop caught a ``kill -9`` in that window. The record
was redelivered (its offset was not committed), the decision was gone from the table, and the
command was decided again, differently: a ``PlaceOrder`` rejected, then created with the same
event id (issue 17). Every handler whose decision depends on more than its input (the catalog,
a customer's profile, stock levels, a payment gateway's answer) can do the same.

So while a handler runs, ``send_envelope`` holds its events (``hold``) and the table writes it
makes register their changelog futures (``wrote``); when it returns, its ``Lane`` sends the held
events after those writes are acknowledged, in a task the next commit waits for (it is one of
the unacknowledged sends). A kill between the two then finds the decision kept and the record
redelivered: the handler repeats the kept decision and sends the same events again. The agent
does not wait: the next record is handled meanwhile, and each lane sends in the order its
records were handled. A handler that wrote nothing sends at once, as before, and so does one
whose records decide alike when they come again (``replays_alike``: the saga)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from contextlib import suppress
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, TypeVar

from app.runtime import drills
from app.runtime.futures import Dropped, all_of, retrieved, succeeded
from app.runtime.sends import Forward, failed_sends, keep_until_acked
from domain.envelope import Envelope

# Releases a lane may have under way before its agent waits for them (its memory bound, and the
# backpressure the agent had when it awaited each send itself).
MAX_PENDING = 1000

Outgoing = Envelope | Forward  # an event, or a record sent on as it came (a repartition)
Send = Callable[[Outgoing], Awaitable[Any]]  # hands one to the producer: its ack future


Ask = Callable[[], None]  # asks for a held write to be sent (a record cache's flush)

H = TypeVar("H", bound=Callable[..., Any])


def replays_alike(handler: H) -> H:
    """Mark a handler whose decisions depend on nothing but its record and its own keys' state
    (no other table, no clock in a branch, no outside call), with event ids derived from its
    cause: its events leave as it sends them, and its writes wait for the commit's flush.

    A ``kill -9`` can then keep its events and lose its write. The record was not committed
    (a commit flushes first), so it comes again, on the value last flushed, in the same order
    after the same records: the handler decides alike and sends the same ids, which the
    receivers take as repeats. That is Kafka Streams' at-least-once, for every processor; this
    app keeps the outbox order for the handlers that read more than their input (cause 8 of
    docs/liveness.md). The saga is one: its input is its order's events, in one partition's
    order, and its deadlines are events too (``OrderTimedOut``)."""
    handler.replays_alike = True  # type: ignore[attr-defined]
    return handler


def replayed_alike(handler: Any) -> bool:
    return getattr(handler, "replays_alike", False) is True


@dataclass(eq=False)
class Outbox:
    """What one handler call wrote (changelog futures) and would send (envelopes, in order)."""

    writes: list[asyncio.Future[Any]] = field(default_factory=list)
    asks: dict[asyncio.Future[Any], Ask] = field(default_factory=dict)  # writes not sent yet
    held: list[Outgoing] = field(default_factory=list)
    closed: bool = False  # released: a task the handler left behind sends at once
    waits: bool = True  # its events wait for its writes (not for a handler that replays alike)


_open: ContextVar[Outbox | None] = ContextVar("outbox", default=None)


def wrote(fut: Any, ask: Ask | None = None) -> None:
    """A table write's changelog future, made inside a handler: its events wait for it. A write
    held back (``app.runtime.record_cache``) gives ``ask``: called once events wait for it."""
    box = _open.get()
    if box is None or not isinstance(fut, asyncio.Future):
        return
    if not box.waits and not _dropped(fut):  # but a write dropped (its partition left) is
        return  # waited for by all: its events must not leave from a worker that lost it
    if not box.writes or box.writes[-1] is not fut:  # a cached partition's, written again
        box.writes.append(fut)
    if ask is not None:
        box.asks.setdefault(fut, ask)


def _dropped(fut: asyncio.Future[Any]) -> bool:
    return fut.done() and not fut.cancelled() and isinstance(fut.exception(), Dropped)


def hold(env: Outgoing) -> bool:
    """Keep ``env`` for the running handler's release; False outside a handler (send it now)."""
    box = _open.get()
    if box is None or box.closed:
        return False
    box.held.append(env)
    return True


def in_handler() -> bool:
    """True while a handler runs whose writes its events wait for."""
    box = _open.get()
    return box is not None and not box.closed and box.waits


Refused = Callable[[Outgoing, BaseException], Awaitable[None]]  # refused for good


class Holding:
    """``Lane.holding``: a class, not ``@asynccontextmanager`` (a generator and its context
    manager per record, ~1 % of a worker)."""

    __slots__ = ("box", "lane", "refused", "token", "waits")

    def __init__(self, lane: Lane, refused: Refused, waits: bool) -> None:
        self.lane, self.refused, self.waits = lane, refused, waits

    async def __aenter__(self) -> Outbox:
        self.box = Outbox(waits=self.waits)
        self.token = _open.set(self.box)
        return self.box

    async def __aexit__(self, kind: type[BaseException] | None, *_: object) -> None:
        _open.reset(self.token)
        self.box.closed = True
        if kind is not None:  # failed or cancelled: its writes stand, so do their events
            self.lane._after_handler(self.box, self.refused)
            return  # what it raised goes on
        await self.lane._released(self.box, self.refused)


class Lane:
    """The releases of one handler on one input partition, in the order its records were
    handled. A release waits for the writes of every record before it (whose order the
    producer keeps per partition, not across them); once a write is refused for good the lane
    sends nothing more (the commit stops the worker: ``DurableConsumer``)."""

    def __init__(self, send: Send) -> None:
        self.send = send
        self.tail: asyncio.Future[None] | None = None  # the last release handed over, or write
        self.pending: set[asyncio.Future[None]] = set()  # releases not yet acknowledged
        self.asks: dict[asyncio.Future[Any], Ask] = {}  # held writes of write-only records

    def holding(self, refused: Refused, *, waits: bool = True) -> Holding:
        """Around one handler call (its retries included): what it sends is held, then released
        after its writes, also when it fails (its writes stand, so do the events decided with
        them) or is cancelled. ``refused``: what to do with an event the broker refuses for good
        (the shell dead-letters its record). ``waits=False`` (a handler that ``replays_alike``):
        released at once, in the lane's order, its writes left for the commit's flush."""
        return Holding(self, refused, waits)

    async def _released(self, box: Outbox, refused: Refused) -> None:
        if box.held and not box.writes and (self.tail is None or self.tail.done()):
            acks = []
            for env in box.held:  # nothing to wait for, nothing ahead: send now, as before
                try:
                    acks.append(await self.send(env))
                except Exception as exc:  # never sendable (too large …): the others still go
                    await refused(env, exc)
            if not box.waits:  # a drill's kill -9 once they are on the broker, its write not
                drills.on_acks("sent", acks)
            return
        self._after_handler(box, refused)
        while len(self.pending) > MAX_PENDING:
            await asyncio.wait(self.pending, return_when=asyncio.FIRST_COMPLETED)

    def _after_handler(self, box: Outbox, refused: Refused) -> None:
        if box.held:  # events wait: the held writes they wait for (the lane's too) must go now
            asks, self.asks = {**self.asks, **box.asks}, {}
            for ask in asks.values():
                ask()
            self._schedule(box, refused)
        elif box.writes:  # nothing to send: the lane's next release still waits for these
            self.tail = all_of([*box.writes, *([self.tail] if self.tail else [])])
            self.asks = {f: a for f, a in self.asks.items() if not f.done()} | box.asks

    def _schedule(self, box: Outbox, refused: Refused) -> None:
        handed: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        handed.add_done_callback(retrieved)
        task = asyncio.ensure_future(self._release(box, self.tail, handed, refused))
        keep_until_acked(task)  # the next commit waits for the events' acks, not only the writes'
        self.tail = handed
        self.pending.add(task)
        task.add_done_callback(self.pending.discard)

        def stopped(task: asyncio.Future[None]) -> None:  # also before it began
            if task.cancelled():
                failed_sends.append(f"stopped with {len(box.held)} events unsent")
                handed.cancel()

        task.add_done_callback(stopped)

    async def _release(
        self,
        box: Outbox,
        before: asyncio.Future[None] | None,
        handed: asyncio.Future[None],
        refused: Refused,
    ) -> None:
        """Send ``box``'s events once its writes are acknowledged and the lane's previous
        release has handed its own to the producer (not acknowledged: the producer keeps a
        partition's order); then wait for their acks. ``succeeded``, not ``gather``: a
        cancelled release (a stopping worker) must not cancel the writes, which would make them
        look settled to the clean-stop marker (``app.runtime.local_state``)."""
        try:
            # the record before left with its partition (``Dropped``): no order left to keep
            with suppress(Dropped):
                await succeeded([before] if before is not None else [])
            try:
                # a write refused for good raises here: its events are never sent, the commit
                # stops the worker (``DurableConsumer``), and a restart redoes the record
                await succeeded(box.writes)
            except Dropped:
                handed.set_result(None)  # its decision left with its partition: so do its events
                return
            acks = []
            for env in box.held:
                try:
                    acks.append(await self.send(env))
                except Exception as exc:  # never sendable (too large …): the record is kept
                    await refused(env, exc)
        except asyncio.CancelledError:
            raise  # ``stopped``
        except BaseException as exc:
            handed.set_exception(exc)
            raise
        handed.set_result(None)
        if not box.waits:
            drills.on_acks("sent", acks)
        await succeeded([ack for ack in acks if isinstance(ack, asyncio.Future)])
