"""Futures that stand for writes and releases (``app.runtime.outbox``): waited for without
being cancelled, combined without a task."""

from __future__ import annotations

import asyncio
from typing import Any

__all__ = ["Dropped", "all_of", "failed", "retrieved", "succeeded"]


class Dropped(Exception):
    """A write that left with its partition before it was sent (a record cache's revoke): the
    record was not committed, its next owner handles it again; its events are not sent."""


async def succeeded(futures: list[asyncio.Future[Any]]) -> None:
    """Wait for ``futures`` without cancelling them; raise the first failure."""
    if not futures:
        return
    left = [fut for fut in futures if not fut.done()]
    if left:  # most are done by now: then nothing to wait for
        await _all_done(left)
    if any(fut.cancelled() for fut in futures):
        raise RuntimeError("a write or release before this one was cancelled")
    failures = [exc for fut in futures if (exc := fut.exception()) is not None]
    for exc in sorted(failures, key=lambda exc: isinstance(exc, Dropped)):
        raise exc  # a failure for good first: it must not pass as a partition that left


def _all_done(futures: list[asyncio.Future[Any]]) -> asyncio.Future[None]:
    """Done once every one of ``futures`` is, whatever its outcome. Cancelling it (a stopping
    worker) leaves them be: what ``asyncio.wait`` does, with one callback per future and no set,
    waiter and removal of callbacks per call (three ``asyncio.wait`` per release were 4 % of a
    worker)."""
    done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
    left = [len(futures)]

    def one(_: asyncio.Future[Any]) -> None:
        left[0] -= 1
        if left[0] == 0 and not done.done():
            done.set_result(None)

    for fut in futures:
        fut.add_done_callback(one)
    return done


def all_of(
    futures: list[asyncio.Future[Any]], done: asyncio.Future[None] | None = None
) -> asyncio.Future[None]:
    """One future for several (no task): done when all are, failed as the first that failed."""
    if done is None:
        done = asyncio.get_running_loop().create_future()
        done.add_done_callback(retrieved)
    if not futures:
        done.set_result(None)
        return done
    left = [len(futures)]
    dropped: list[BaseException] = []

    def one(fut: asyncio.Future[Any]) -> None:
        left[0] -= 1
        if done.done():
            return
        if fut.cancelled():
            done.set_exception(RuntimeError("a write before this release was cancelled"))
        elif isinstance(exc := fut.exception(), Dropped):
            dropped.append(exc)  # unless another fails for good: that one must be seen
        elif exc is not None:
            done.set_exception(exc)
        if left[0] == 0 and not done.done():
            if dropped:
                done.set_exception(dropped[0])
            else:
                done.set_result(None)

    for fut in futures:
        fut.add_done_callback(one)
    return done


def failed(exc: BaseException) -> asyncio.Future[None]:
    """A future already failed with ``exc``."""
    fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
    fut.add_done_callback(retrieved)
    fut.set_exception(exc)
    return fut


def retrieved(fut: asyncio.Future[None]) -> None:
    if not fut.cancelled():
        fut.exception()  # the lane reads it; asyncio need not report it unread
