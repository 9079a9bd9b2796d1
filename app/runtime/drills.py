"""Fault drills a worker runs on itself, for the fault harness: ``ORDERS_FAULT_KILL=point:N`` makes
it ``kill -9`` itself the Nth time it reaches ``point``, a moment a kill from outside hits only by
chance:

- ``flushed``: a commit's flush is on the broker (RocksDB batches written, changelog records
  acknowledged) and its offsets are not committed yet;
- ``written``: a table write has landed in the record cache and is not flushed;
- ``sent``: the events of a handler that ``replays_alike`` (the saga) are on the broker and
  its write is not flushed: what the outbox order would not let happen for the others.

A real SIGKILL: no handler, no ``finally``, nothing flushed or committed on the way out."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import Iterable
from typing import Any

from app.settings import settings

POINTS = ("flushed", "written", "sent")


def _armed(spec: str) -> tuple[str, int] | None:
    if not spec:
        return None
    point, _, nth = spec.partition(":")
    if point not in POINTS or not nth.isdigit() or int(nth) < 1:
        raise ValueError(f"ORDERS_FAULT_KILL={spec!r}: want one of {POINTS} and :N, N >= 1")
    return point, int(nth)


ARMED = _armed(settings.fault_kill)
_reached = dict.fromkeys(POINTS, 0)


def reached(point: str) -> None:
    """Count ``point``; at the armed count, say so on stderr and die by SIGKILL."""
    if ARMED is None or ARMED[0] != point:
        return
    _reached[point] += 1
    if _reached[point] == ARMED[1]:
        print(f"drill: kill -9 at {point} #{ARMED[1]}", file=sys.stderr, flush=True)
        os.kill(os.getpid(), signal.SIGKILL)


def on_acks(point: str, acks: Iterable[Any]) -> None:
    """``reached(point)`` once every one of ``acks`` (send futures) is settled: acknowledged, or
    refused (the window has passed either way)."""
    if ARMED is None or ARMED[0] != point:
        return
    waiting = [ack for ack in acks if isinstance(ack, asyncio.Future)]
    if not waiting:
        reached(point)
        return
    gathered = asyncio.gather(*waiting, return_exceptions=True)
    gathered.add_done_callback(lambda _: reached(point))
