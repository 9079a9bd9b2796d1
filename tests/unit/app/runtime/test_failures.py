"""Which failures the shell tries again, and which it gives up on at once."""

from __future__ import annotations

import pytest
from aiokafka.errors import (
    KafkaConnectionError,
    KafkaTimeoutError,
    MessageSizeTooLargeError,
    NotLeaderForPartitionError,
)

from app.runtime.errors import CircuitOpen, DependencyUnavailable
from app.runtime.failures import transient, until_done


@pytest.mark.parametrize(
    ("exc", "again"),
    [
        (KafkaConnectionError(), True),  # a broker down
        (NotLeaderForPartitionError(), True),  # a leader moving
        (KafkaTimeoutError(), True),  # the client gave up waiting for the broker
        (DependencyUnavailable("gateway"), True),
        (CircuitOpen("open"), True),  # a send may retry it; the handler's retries do not
        (TimeoutError(), True),
        (MessageSizeTooLargeError(), False),  # never fits
        (ValueError("bug"), False),
    ],
)
def test_transient(exc: BaseException, again: bool) -> None:
    assert transient(exc) is again


async def test_until_done_retries_what_may_pass_and_raises_what_never_will(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from app.runtime import failures

    fast = type("Fast", (), {"retry_base": 0.001, "retry_max_delay": 0.001})()
    monkeypatch.setattr(failures, "settings", fast)
    calls: list[int] = []

    async def flaky() -> str:
        calls.append(1)
        if len(calls) < 3:
            raise KafkaConnectionError()
        return "sent"

    assert await until_done("send", flaky) == "sent" and len(calls) == 3

    async def too_large() -> str:
        calls.append(1)
        raise MessageSizeTooLargeError()

    calls.clear()
    with pytest.raises(MessageSizeTooLargeError):
        await until_done("send", too_large)
    assert len(calls) == 1


@pytest.fixture
def slept(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Retries with 1 s, doubling, at most 100 s, 3 of them; every backoff (tenacity's included)
    recorded instead of slept."""
    from app.runtime import failures

    fast = type("Fast", (), {"retry_base": 1.0, "retry_max_delay": 100.0, "retry_max": 3,
                             "handler_timeout": 5.0})()  # fmt: skip
    monkeypatch.setattr(failures, "settings", fast)
    waits: list[float] = []

    async def no_sleep(seconds: float) -> None:
        waits.append(seconds)

    monkeypatch.setattr("asyncio.sleep", no_sleep)
    return waits


async def test_a_handler_is_tried_once_when_it_succeeds_and_again_while_it_may_pass(
    slept: list[float],
) -> None:
    from app.runtime.failures import with_retries

    calls: list[int] = []

    async def handler(_: object) -> None:
        calls.append(1)
        if len(calls) < 4:
            raise DependencyUnavailable("gateway")

    tries = [0]
    await with_retries(handler, None, "test", tries)  # type: ignore[arg-type]
    assert tries == [4] and len(calls) == 4
    assert slept == [1.0, 2.0, 4.0]  # the backoff doubles from ORDERS_RETRY_BASE

    async def fine(_: object) -> None:
        calls.append(1)

    calls.clear()
    slept.clear()
    tries = [0]
    await with_retries(fine, None, "test", tries)  # type: ignore[arg-type]
    assert tries == [1] and len(calls) == 1 and slept == []


@pytest.mark.parametrize(
    ("exc", "tries"),
    [
        (DependencyUnavailable("down for good"), 4),  # ORDERS_RETRY_MAX = 3 retries, then raised
        (CircuitOpen("open"), 1),  # an open circuit is not hammered
        (ValueError("bug"), 1),  # never passes
    ],
)
async def test_a_handler_gives_up_after_the_retries_or_at_once(
    slept: list[float], exc: Exception, tries: int
) -> None:
    from app.runtime.failures import with_retries

    async def failing(_: object) -> None:
        raise exc

    made = [0]
    with pytest.raises(type(exc)):
        await with_retries(failing, None, "test", made)  # type: ignore[arg-type]
    assert made == [tries]
    assert slept == [1.0, 2.0, 4.0][: tries - 1]


async def test_until_done_backs_off_doubling_up_to_the_longest_delay(slept: list[float]) -> None:
    calls: list[int] = []

    async def flaky() -> str:
        calls.append(1)
        if len(calls) < 9:
            raise KafkaConnectionError()
        return "sent"

    assert await until_done("send", flaky) == "sent" and len(calls) == 9
    assert slept == [1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 100.0]


@pytest.fixture
def deadlines(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The deadline of every ``asyncio.timeout_at`` made (the handler timeouts)."""
    import asyncio

    made: list[float] = []
    real = asyncio.timeout_at

    def recorded(when: float) -> asyncio.Timeout:
        made.append(when)
        return real(when)

    monkeypatch.setattr(asyncio, "timeout_at", recorded)
    return made


async def test_a_handler_that_never_suspends_runs_inline_without_a_timer(
    deadlines: list[float],
) -> None:
    import asyncio

    from app.runtime import failures

    made = deadlines
    seen: list[object] = []

    async def inline(parsed: object) -> None:
        seen.append(parsed)

    tries = [0]
    await failures.with_retries(inline, "p", "inline", tries)  # type: ignore[arg-type]
    assert seen == ["p"] and tries == [1] and made == []

    async def suspends(parsed: object) -> None:
        await asyncio.sleep(0.01)
        seen.append(parsed)

    await failures.with_retries(suspends, "q", "suspends", tries)  # type: ignore[arg-type]
    assert seen == ["p", "q"] and len(made) == 1


async def test_the_handler_timeout_counts_from_the_start_and_fires_at_a_suspension(
    monkeypatch: pytest.MonkeyPatch, deadlines: list[float]
) -> None:
    import asyncio
    import time

    from app.runtime import failures

    slow = type("S", (), {"handler_timeout": 0.05, "retry_max": 0, "retry_base": 0.001,
                          "retry_max_delay": 0.001})()  # fmt: skip
    monkeypatch.setattr(failures, "settings", slow)
    cancelled: list[bool] = []

    async def busy_then_waits(parsed: object) -> None:
        time.sleep(0.06)  # past the deadline before it first suspends
        try:
            await asyncio.sleep(10)
        except asyncio.CancelledError:
            cancelled.append(True)
            raise

    started = asyncio.get_running_loop().time()
    with pytest.raises(TimeoutError):
        await failures.with_retries(busy_then_waits, "p", "w", [0])  # type: ignore[arg-type]
    assert cancelled == [True]  # the handler heard of it
    # counted from the call, not from the suspension 0.06 s later
    assert len(deadlines) == 1 and deadlines[0] <= started + 0.05 + 0.01
    assert asyncio.get_running_loop().time() - started < 5  # not the sleep's 10 s

    async def raises_inline(parsed: object) -> None:
        raise ValueError("bug")

    with pytest.raises(ValueError, match="bug"):
        await failures.with_retries(raises_inline, "p", "w", [0])  # type: ignore[arg-type]


async def test_a_worker_stopping_mid_handler_is_a_cancellation_not_a_timeout() -> None:
    import asyncio

    from app.runtime import failures, stalls

    release: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    async def waits_on_the_gateway(parsed: object) -> None:
        await release

    task = asyncio.ensure_future(
        failures.with_retries(waits_on_the_gateway, "p", "w", [0])  # type: ignore[arg-type]
    )
    await asyncio.sleep(0.01)
    # the stall report follows a handler begun inline down to what it waits on
    assert "waits_on_the_gateway" in stalls._chain(task.get_coro())
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert release.cancelled()  # the handler heard of it: what it awaited was cancelled, as before
