"""The watchdog's stall clock follows the committed offset, not the fetch position."""

from __future__ import annotations

from faust.types import TP

from app.runtime.watchdog import Progress


def test_the_stall_clock_follows_the_committed_offset() -> None:
    progress, tp = Progress(), TP("t.orders.commands", 1)
    assert progress.observe(tp, 0, 1066, now=100.0) == 0.0  # first look: records waiting
    assert progress.observe(tp, 0, 1066, now=160.0) == 60.0  # nothing committed since
    assert progress.observe(tp, 5, 1066, now=170.0) == 0.0  # it moved
    assert progress.observe(tp, 5, 1066, now=200.0) == 30.0
    assert progress.observe(tp, 1066, 1066, now=400.0) == 0.0  # caught up: nothing waits
