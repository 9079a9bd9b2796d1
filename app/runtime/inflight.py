"""How many records the agents are handling right now, so a stop or a rebalance waits for exactly
those (see ``OrdersApp._consumer_wait_empty``)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator


class InFlight:
    def __init__(self) -> None:
        self.count = 0
        self._idle = asyncio.Event()
        self._idle.set()

    @contextlib.contextmanager
    def holding(self, records: int = 1) -> Iterator[None]:
        self.count += records
        self._idle.clear()
        try:
            yield
        finally:
            self.count -= records
            if self.count == 0:
                self._idle.set()

    async def wait_idle(self, timeout: float) -> bool:
        """True once nothing is in flight; False if something still is after ``timeout``."""
        try:
            await asyncio.wait_for(self._idle.wait(), timeout)
        except TimeoutError:
            return False
        return True


in_flight = InFlight()
