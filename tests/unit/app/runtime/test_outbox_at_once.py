"""The outbox's lane for a handler with nothing to wait for (no write, or one that
``replays_alike``): its events leave at once, in order, each refusal dead-lettered alone."""

from __future__ import annotations

import asyncio

from app.runtime import outbox
from app.runtime.outbox import Lane, Outgoing
from domain.envelope import Envelope
from tests.unit.app.runtime.test_outbox import Producer, event, producer

__all__ = ["producer"]  # the fixture


async def test_an_event_refused_for_good_at_once_does_not_stop_the_others(
    producer: Producer,
) -> None:
    # Given a handler with nothing to wait for (no write, or one that replays alike)
    kept: list[str] = []

    async def first_too_large(env: Outgoing) -> asyncio.Future[None]:
        if not kept:
            raise ValueError("MessageSizeTooLarge")
        return await producer.send(env)

    async def dead_letter(env: Outgoing, exc: BaseException) -> None:
        assert isinstance(env, Envelope)
        kept.append(f"{env.data['orderId']}: {exc}")

    lane = Lane(first_too_large)
    async with lane.holding(dead_letter, waits=False):
        outbox.hold(event(1))
        outbox.hold(event(2))
    # Then the refused one is dead-lettered and the next one still leaves
    assert kept == ["o-1: MessageSizeTooLarge"] and producer.sent == ["o-2"]
