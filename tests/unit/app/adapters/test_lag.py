"""The backlog sampler says when admission control is blind: a failed sample leaves the backlog
unknown and every order admitted (``app.adapters.lag``); the health log gets one line when that
begins and one when a sample succeeds again, not one per failed sample."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from aiokafka import TopicPartition

from app.adapters import lag


def test_a_spell_of_failed_samples_is_one_health_line_each_way(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    lines: list[tuple[str, dict[str, Any]]] = []
    monkeypatch.setattr(lag, "health", lambda event, **fields: lines.append((event, fields)))
    sampler = lag.GroupLag("127.0.0.1:1", "orders", window=10.0)
    answers: list[Any] = [ConnectionError("broker gone"), TimeoutError(), None]

    async def offsets() -> tuple[dict[TopicPartition, int], dict[TopicPartition, int]]:
        if isinstance(answer := answers.pop(0), BaseException):
            raise answer
        tps = sampler._tps
        return {tp: 5 for tp in tps}, {tp: 5 for tp in tps}

    monkeypatch.setattr(sampler, "_offsets", offsets)
    for _ in range(3):
        asyncio.run(sampler.sample())
        if lines and lines[-1][0] == "backlog_unknown":
            assert sampler.backlog == {}  # unknown: the edge admits every order meanwhile

    assert [event for event, _ in lines] == ["backlog_unknown", "backlog_known"]
    assert "broker gone" in lines[0][1]["error"]
    assert lines[1][1]["unknownSeconds"] >= 0
    assert sampler.backlog and all(seconds == 0.0 for seconds in sampler.backlog.values())


def test_a_queue_of_sagas_floors_the_backlog_of_every_orders_events_partition(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Given a sample in which no partition has records waiting
    sampler = lag.GroupLag("127.0.0.1:1", "orders", window=10.0)

    async def offsets() -> tuple[dict[TopicPartition, int], dict[TopicPartition, int]]:
        return {tp: 5 for tp in sampler._tps}, {tp: 5 for tp in sampler._tps}

    monkeypatch.setattr(sampler, "_offsets", offsets)
    monkeypatch.setattr(lag, "wall", lambda: 1000.0)
    # and 400 sagas in flight on this worker, the 20 that ended in the last 2 s each after 5 s
    sampler.in_flight = lambda: 400
    for n in range(20):
        sampler.sagas.ended(999.0 + n / 20, 5.0)
    asyncio.run(sampler.sample())
    # Then an order's saga hop reads 40 s (400 at 10 a second), the other hops nothing
    events = {k: v for k, v in sampler.backlog.items() if k[0] == "orders.events"}
    assert events and all(seconds == pytest.approx(40.0) for seconds in events.values())
    assert all(v == 0.0 for k, v in sampler.backlog.items() if k[0] != "orders.events")
