"""The simulator honours the edge's admission control: an order the edge would refuse waits for
the Retry-After and is offered again; other records and an unknown backlog pass at once."""

from __future__ import annotations

import asyncio
import contextlib
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


class DeafLag:
    """A sampler that finishes every sample even when cancelled during it, as Python 3.11's
    ``asyncio.wait_for`` does when the cancel meets its result."""

    def __init__(self) -> None:
        self.backlog: dict[Any, float] = {}
        self.samples, self.closed = 0, False

    async def sample(self) -> None:
        self.samples += 1
        with contextlib.suppress(asyncio.CancelledError):  # swallowed
            await asyncio.sleep(0.5)

    async def close(self) -> None:
        self.closed = True


@pytest.mark.timeout(30)  # without the stop flag it hangs: a failure, not a stuck run
def test_the_simulator_stops_sampling_after_its_last_order_even_if_a_cancel_is_swallowed() -> None:
    lag = DeafLag()

    async def run() -> int:
        gate = gate_on(lag)  # type: ignore[arg-type]
        records = [("users.events", "user-1", b"{}", None)]

        class Producer:
            async def send(self, *args: Any, **kwargs: Any) -> asyncio.Future[None]:
                await asyncio.sleep(0.05)  # the sampler is mid-sample when the sends end
                done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
                done.set_result(None)
                return done

        sent = simulate._gated(Producer(), records, 0, gate)  # type: ignore[arg-type, unused-ignore]
        return await asyncio.wait_for(sent, 30)

    assert asyncio.run(run()) == 1  # it returned: no sampler left running for ever
    assert lag.closed and lag.samples >= 1
