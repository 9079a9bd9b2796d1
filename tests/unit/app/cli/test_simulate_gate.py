"""The simulator honours the edge's admission control: an order the edge would refuse waits for
the Retry-After and is offered again; other records and an unknown backlog pass at once."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from app.adapters.lag import order_path
from app.cli import simulate
from app.settings import settings

PATH = order_path("user-1", "order-1", ["sku-cable"])


class DrainingLag:
    """A backlog of ``seconds`` on every hop of ``PATH`` that each wait lowers by 10 s."""

    made: list[DrainingLag] = []

    def __init__(self, seconds: float) -> None:
        self.backlog = {tp: seconds for tp in (PATH.commands, PATH.events, PATH.payments)}
        DrainingLag.made.append(self)

    def drain(self) -> None:
        self.backlog = {tp: max(0.0, s - 10) for tp, s in self.backlog.items()}


def gate_on(lag: DrainingLag | None) -> Any:
    return simulate.Gate(lag)  # type: ignore[arg-type]  # a GroupLag as far as the gate reads


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Every sleep of the simulator, each one draining the backlogs made so far."""
    slept: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        slept.append(seconds)
        for lag in DrainingLag.made:
            lag.drain()

    monkeypatch.setattr("app.cli.simulate.asyncio.sleep", fake_sleep)
    DrainingLag.made.clear()
    return slept


def test_an_order_over_the_budget_waits_for_the_retry_after_until_the_backlog_drains(
    sleeps: list[float],
) -> None:
    gate = gate_on(DrainingLag(settings.admission_budget() + 25))
    assert asyncio.run(gate.wait(PATH)) is True
    assert sleeps == [25, 15, 5]  # the excess each time, as the edge's Retry-After says
    assert gate.held == 1 and gate.seconds == 45


def test_an_order_within_the_budget_and_other_records_pass_at_once(sleeps: list[float]) -> None:
    gate = gate_on(DrainingLag(settings.admission_budget()))
    assert asyncio.run(gate.wait(PATH)) is False
    gate = gate_on(DrainingLag(1000))
    assert asyncio.run(gate.wait(None)) is False  # not an order: a cart event, a restock
    assert sleeps == [] and gate.held == 0


def test_an_unknown_backlog_or_no_sampler_holds_nothing(sleeps: list[float]) -> None:
    unknown = DrainingLag(1000)
    unknown.backlog = {}
    assert asyncio.run(gate_on(unknown).wait(PATH)) is False
    gate = gate_on(None)  # --ignore-backlog, or ORDERS_ADMISSION_BACKLOG=0
    assert asyncio.run(gate.wait(PATH)) is False
    assert sleeps == []
