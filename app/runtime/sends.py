"""Every record the worker's producer was given, until the broker has it (or refused it for good).

A commit waits for these (``DurableConsumer``), and a stop writes the local-state marker only
when none is left (``app.runtime.local_state``)."""

from __future__ import annotations

import asyncio
from typing import Any

unacked_sends: set[asyncio.Future[Any]] = set()
failed_sends: list[str] = []


def _settled(fut: asyncio.Future[Any]) -> None:
    unacked_sends.discard(fut)
    if not fut.cancelled() and fut.exception() is not None:
        failed_sends.append(repr(fut.exception()))


def keep_until_acked(fut: Any) -> Any:
    """Keep a send's future until the broker has acknowledged it (or refused it for good)."""
    if isinstance(fut, asyncio.Future):
        unacked_sends.add(fut)
        fut.add_done_callback(_settled)
    return fut
