"""Long-poll support: a reader waits for a key to change; a write of that key wakes it."""

from __future__ import annotations

import asyncio
from collections import defaultdict


class TooManyWaiters(Exception):
    pass


class Waiters:
    """At most ``limit`` readers wait at once on this worker; each is woken by ``notify(key)``."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.active = 0
        self._events: defaultdict[str, asyncio.Event] = defaultdict(asyncio.Event)
        self._count: defaultdict[str, int] = defaultdict(int)

    def notify(self, key: str) -> None:
        if key in self._events:
            self._events.pop(key).set()

    async def changed(self, key: str, timeout: float) -> bool:
        """Wait for the next ``notify(key)``, at most ``timeout`` s; True if it came."""
        if self.active >= self.limit:
            raise TooManyWaiters(f"{self.active} readers are already waiting on this worker")
        event = self._events[key]
        self.active += 1
        self._count[key] += 1
        try:
            await asyncio.wait_for(event.wait(), timeout)
            return True
        except TimeoutError:
            return False
        finally:
            self.active -= 1
            self._count[key] -= 1
            if self._count[key] == 0:  # the last reader of this key leaves: forget it
                del self._count[key]
                if self._events.get(key) is event:
                    del self._events[key]
