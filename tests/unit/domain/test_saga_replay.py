"""The saga decides alike when its records come again on an older value of its state: what lets
its events leave before its write is on the broker (``app.runtime.outbox.replays_alike``)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from domain.saga import decide
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
HISTORIES = [
    (CREATED, RES_A, RES_B, AUTH),
    (CREATED, RES_A, UNAV_B, RES_A),
    (CREATED, RES_A, RES_B, DECLINE),
    (CREATED, RES_A, RES_B, timed_out("stock"), timed_out("payment"), AUTH, AUTH),
    (CREATED, UNAV_B, RES_A, timed_out("stock")),
    (CREATED, RES_A, RES_B, AUTH, DECLINE, timed_out("payment")),
]


@pytest.mark.parametrize("history", HISTORIES)
def test_replayed_from_any_flushed_value_it_decides_alike(history: tuple[Any, ...]) -> None:
    # The saga sends before its write is on the broker (``replays_alike``): a kill -9 leaves
    # its value as last flushed (after ``flushed`` events) and its records from the last commit
    # (``committed`` <= ``flushed``) to come again, later, on another worker's clock
    events = [event(body, f"e-{n}") for n, body in enumerate(history)]
    state, sent = None, []
    for ev in events:
        state, out = decide(state, ev, now=NOW, timeout=TIMEOUT)
        sent.append([(e.eventId, e.eventType) for e in out])
    assert state is not None
    for flushed in range(len(events) + 1):
        for committed in range(flushed + 1):
            kept = None
            for ev in events[:flushed]:
                kept, _ = decide(kept, ev, now=NOW, timeout=TIMEOUT)
            later = NOW + timedelta(seconds=7)
            for n, ev in enumerate(events[committed:], start=committed):
                kept, out = decide(kept, ev, now=later, timeout=TIMEOUT)
                # Then every record sends the very ids it sent the first time, nothing else
                assert [(e.eventId, e.eventType) for e in out] == sent[n], (flushed, committed, n)
            assert kept is not None
            assert (kept.stage, kept.reason, kept.applied) == (
                state.stage,
                state.reason,
                state.applied,
            )
