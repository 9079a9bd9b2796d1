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
