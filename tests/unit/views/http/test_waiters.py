"""Long-poll waiters: woken by a change, bounded in time and in number."""

from __future__ import annotations

import asyncio

import pytest

from views.http.waiters import TooManyWaiters, Waiters


async def test_a_change_wakes_every_reader_of_that_key_only() -> None:
    waiters = Waiters(limit=10)
    a1 = asyncio.ensure_future(waiters.changed("a", 5))
    a2 = asyncio.ensure_future(waiters.changed("a", 5))
    b = asyncio.ensure_future(waiters.changed("b", 0.2))
    await asyncio.sleep(0.01)
    waiters.notify("a")
    assert await a1 is True and await a2 is True
    assert await b is False  # timed out: nothing changed b
    assert waiters.active == 0 and not waiters._events  # nothing left behind


async def test_readers_beyond_the_limit_are_refused() -> None:
    waiters = Waiters(limit=2)
    held = [asyncio.ensure_future(waiters.changed(k, 5)) for k in ("x", "y")]
    await asyncio.sleep(0.01)
    with pytest.raises(TooManyWaiters):
        await waiters.changed("z", 1)
    waiters.notify("x")
    waiters.notify("y")
    assert await asyncio.gather(*held) == [True, True]
