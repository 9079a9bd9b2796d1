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
