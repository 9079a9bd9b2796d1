"""The saga's deadline timer (``agents.saga.fire_due``) against the saga moving on while
the timer awaits its sends: the kill loop's order left at STOCK_RESERVED for good (issue 17)."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from agents import saga
from app.settings import settings
from domain.saga import SagaState


def state(order_id: str, stage: str, step: str, deadline: float) -> SagaState:
    return SagaState(
        orderId=order_id, userId="user-1", tier="standard", currency="EUR",
        amount=Decimal("10"), stage=stage, items={"sku-cable": 1}, step=step,
        deadline=datetime.fromtimestamp(deadline, UTC),
    )  # fmt: skip


class Sagas:
    def __init__(self) -> None:
        self.values: dict[str, SagaState] = {}

    def get(self, key: str) -> SagaState | None:
        return self.values.get(key)


@pytest.fixture()
def world(monkeypatch: pytest.MonkeyPatch) -> tuple[Sagas, list[Any]]:
    sagas, sent = Sagas(), []
    monkeypatch.setattr(saga, "sagas", sagas)
    monkeypatch.setattr(saga, "deadlines", {})

    async def send(env: Any) -> None:
        sent.append(env)

    monkeypatch.setattr(saga, "send_envelope", send)
    return sagas, sent


async def test_a_step_past_its_deadline_times_out_once(world: Any) -> None:
    sagas, sent = world
    now = time.time()  # the suite runs long after this module is imported
    sagas.values["o-1"] = s = state("o-1", "AWAITING_PAYMENT", "payment", now - 1)
    saga.watch(s)
    await saga.fire_due(now)
    assert [(e.eventType, e.data["step"]) for e in sent] == [("OrderTimedOut", "payment")]
    # Then, with the saga still waiting behind a backlog, it does not fire again
    await saga.fire_due(now + 3 * settings.saga_timeout)
    assert len(sent) == 1 and "o-1" not in saga.deadlines


async def test_the_saga_moving_on_during_the_timers_sends_keeps_its_new_deadline(
    world: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given two sagas whose stock step expired: o-1 and o-2
    sagas, sent = world
    now = time.time()
    for order_id in ("o-1", "o-2"):
        sagas.values[order_id] = s = state(order_id, "AWAITING_STOCK", "stock", now - 1)
        saga.watch(s)
    moved = state("o-2", "AWAITING_PAYMENT", "payment", now + 30)

    async def send_while_the_saga_moves(env: Any) -> None:
        # while the timer awaits o-1's OrderTimedOut, the agent handles o-2's StockReserved
        sent.append(env)
        if env.data["orderId"] == "o-1":
            sagas.values["o-2"] = moved
            saga.watch(moved)

    monkeypatch.setattr(saga, "send_envelope", send_while_the_saga_moves)
    # When the timer runs
    await saga.fire_due(now)
    # Then o-2 is still watched, on its payment deadline, and was not timed out on a stale step
    assert saga.deadlines["o-2"] == (moved.deadline.timestamp(), "payment")  # type: ignore[union-attr]
    assert [e.data["orderId"] for e in sent] == ["o-1"]


async def test_an_ended_saga_is_no_longer_watched(world: Any) -> None:
    sagas, sent = world
    now = time.time()  # the suite runs long after this module is imported
    saga.deadlines["o-3"] = (now - 1, "payment")
    sagas.values["o-3"] = state("o-3", "CONFIRMED", "payment", now - 1)
    await saga.fire_due(now)
    assert sent == [] and "o-3" not in saga.deadlines
