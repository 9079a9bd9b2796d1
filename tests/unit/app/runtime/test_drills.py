"""The fault drills' points: a worker armed with ``ORDERS_FAULT_KILL`` kills itself at the Nth."""

from __future__ import annotations

import asyncio

import pytest

from app.runtime import drills


@pytest.fixture()
def kills(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Arm ``sent:2``; record the kill instead of dying by it."""
    killed: list[str] = []
    monkeypatch.setattr(drills, "ARMED", ("sent", 2))
    monkeypatch.setattr(drills, "_reached", dict.fromkeys(drills.POINTS, 0))
    monkeypatch.setattr("os.kill", lambda pid, sig: killed.append(f"{pid}:{sig}"))
    return killed


def test_a_spec_names_a_point_and_a_count() -> None:
    assert drills._armed("sent:3") == ("sent", 3)
    assert drills._armed("") is None
    for bad in ("sent", "sent:0", "nowhere:1", "flushed:x"):
        with pytest.raises(ValueError, match="ORDERS_FAULT_KILL"):
            drills._armed(bad)


async def test_sent_is_reached_once_the_events_are_acknowledged(kills: list[str]) -> None:
    loop = asyncio.get_running_loop()
    first, second = loop.create_future(), loop.create_future()
    drills.on_acks("sent", [first])
    drills.on_acks("sent", [second, None])  # a send that returned no future counts as handed
    drills.on_acks("written", [])  # not the armed point: not counted
    await asyncio.sleep(0)
    assert drills._reached["sent"] == 0 and kills == []  # nothing on the broker yet
    first.set_result(None)
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    assert drills._reached["sent"] == 1 and kills == []
    second.set_exception(OSError("refused"))  # acknowledged or refused: the moment has passed
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    assert drills._reached["sent"] == 2 and len(kills) == 1  # the second time: kill -9
