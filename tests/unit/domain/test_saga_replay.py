"""The saga decides alike when its records come again on an older value of its state: what lets
its events leave before its write is on the broker (``app.runtime.outbox.replays_alike``)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from domain import envelope
from domain.envelope import Parsed
from domain.messages import OrderCancellationRequested
from domain.saga import SagaState, decide
from tests.support.events import event
from tests.unit.domain.test_saga import (
    AUTH,
    CREATED,
    DECLINE,
    NOW,
    RES_A,
    RES_B,
    TIMEOUT,
    UNAV_B,
    timed_out,
)

# Every path of the table above, and late and repeated replies
ASKED = OrderCancellationRequested(orderId="o-1", userId="u-1", reason="changed my mind")

# Every path of the saga's table, late and repeated replies, a customer's cancellation, and a
# record delivered twice at two offsets (a producer's retry: the same event id)
HISTORIES = [
    (CREATED, RES_A, RES_B, AUTH),
    (CREATED, RES_A, UNAV_B, RES_A),
    (CREATED, RES_A, RES_B, DECLINE),
    (CREATED, RES_A, RES_B, timed_out("stock"), timed_out("payment"), AUTH, AUTH),
    (CREATED, UNAV_B, RES_A, timed_out("stock")),
    (CREATED, RES_A, RES_B, AUTH, DECLINE, timed_out("payment")),
    (CREATED, RES_A, ASKED, RES_B, AUTH),
    (CREATED, RES_A, RES_B, ASKED, AUTH, ASKED),
]


def records(history: tuple[Any, ...]) -> list[Parsed]:
    """The history as the log holds it: a second at a time; the last one twice (same id)."""
    out = [event(body, f"e-{n}", at=NOW + timedelta(seconds=n)) for n, body in enumerate(history)]
    return [*out, out[-1]]


def kept(state: SagaState) -> dict[str, Any]:
    """What a replay must end with: all but the deadline, which the clock of the replay sets."""
    return state.model_dump(exclude={"deadline", "startedAt"})


@pytest.mark.parametrize("history", HISTORIES)
def test_replayed_from_any_flushed_value_it_decides_alike(history: tuple[Any, ...]) -> None:
    # The saga sends before its write is on the broker (``replays_alike``): a kill -9 leaves
    # its value as last flushed (after ``flushed`` records) and its records from the last commit
    # (``committed`` <= ``flushed``) to come again, on another worker's clock, past any deadline
    log = records(history)
    state, sent = None, []
    for record in log:
        state, out = decide(state, record, now=NOW, timeout=TIMEOUT)
        sent.append([envelope.dumps(e) for e in out])
    assert state is not None
    later = NOW + 3 * TIMEOUT
    for flushed in range(len(log) + 1):
        for committed in range(flushed + 1):
            value = None
            for record in log[:flushed]:
                value, _ = decide(value, record, now=NOW, timeout=TIMEOUT)
            for n, record in enumerate(log[committed:], start=committed):
                value, out = decide(value, record, now=later, timeout=TIMEOUT)
                # Then every record sends what it sent the first time, to the byte
                assert [envelope.dumps(e) for e in out] == sent[n], (flushed, committed, n)
            assert value is not None and kept(value) == kept(state)
