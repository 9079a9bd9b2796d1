"""The shell's batches: keys at once, each in order with its own event, nothing acked unhandled."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import faust
import pytest

from app.runtime import failures, intake


@dataclass(eq=False)
class _Message:
    key: bytes
    offset: int
    topic: str = "t"


@dataclass(eq=False)
class _Event:  # weak-referenceable, like Faust's
    message: _Message


async def test_a_batch_runs_keys_at_once_each_key_in_order_with_its_own_event(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    log: list[tuple[str, bytes, int, int]] = []

    async def fake_handle(event, topic, handler, **options):
        current = faust.current_event()
        assert current is not None
        log.append(("start", event.message.key, event.message.offset, current.message.offset))
        await asyncio.sleep(0.01 if event.message.key == b"slow" else 0)
        current = faust.current_event()  # still this record after the others ran
        assert current is not None
        log.append(("end", event.message.key, event.message.offset, current.message.offset))
        return "applied"

    monkeypatch.setattr(intake, "handle", fake_handle)
    events = [_Event(_Message(k, o)) for o, k in enumerate([b"slow", b"a", b"slow", b"a", b"b"])]
    outcomes = await intake._by_key(events, None, None)  # type: ignore[arg-type]
    assert outcomes == ["applied"] * 5
    assert all(entry[2] == entry[3] for entry in log)  # current_event() is the record handled
    ends = [(key, offset) for kind, key, offset, _ in log if kind == "end"]
    assert [o for k, o in ends if k == b"slow"] == [0, 2]  # one key: in offset order
    assert [o for k, o in ends if k == b"a"] == [1, 3]
    assert ends.index((b"b", 4)) < ends.index((b"slow", 0))  # others did not wait for it


async def test_what_escapes_handle_is_retried_so_the_batch_never_acks_it_unhandled(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    attempts: list[int] = []

    async def flaky_handle(event, topic, handler, **options):
        attempts.append(event.message.offset)
        if attempts.count(event.message.offset) == 1 and event.message.key == b"x":
            raise ConnectionError("the DLQ record could not be sent")
        return "applied"

    monkeypatch.setattr(intake, "handle", flaky_handle)
    monkeypatch.setattr(failures, "settings", _FastRetries())
    events = [_Event(_Message(b"x", 0)), _Event(_Message(b"y", 1))]
    assert await intake._by_key(events, None, None) == ["applied", "applied"]  # type: ignore[arg-type]
    assert sorted(attempts) == [0, 0, 1]


@dataclass
class _FastRetries:
    retry_base: float = 0.001
    retry_max_delay: float = 0.001
