"""What keeps a worker from passing work that was not done (issue 17), without a broker: the stall
clock of the watchdog and the marker that says the local table stores can be trusted."""

from __future__ import annotations

from pathlib import Path

import pytest
from faust.types import TP

from app.runtime import local_state
from app.runtime.watchdog import Progress


def test_the_stall_clock_follows_the_committed_offset() -> None:
    progress, tp = Progress(), TP("t.orders.commands", 1)
    assert progress.observe(tp, 0, 1066, now=100.0) == 0.0  # first look: records waiting
    assert progress.observe(tp, 0, 1066, now=160.0) == 60.0  # nothing committed since
    assert progress.observe(tp, 5, 1066, now=170.0) == 0.0  # it moved
    assert progress.observe(tp, 5, 1066, now=200.0) == 30.0
    assert progress.observe(tp, 1066, 1066, now=400.0) == 0.0  # caught up: nothing waits


def test_local_tables_are_wiped_after_a_stop_that_left_writes_unsent(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tables, marker = tmp_path / "v1" / "tables", tmp_path / local_state.MARKER
    (tables / "sagas-0.db").mkdir(parents=True)
    # a kill -9 writes no marker: the stores may hold writes their changelogs lack
    assert local_state.trust_or_wipe(tables, marker) is True and not tables.exists()
    # a stop with a send still unacknowledged writes none either
    monkeypatch.setattr(local_state, "unacked_sends", {object()})
    assert local_state.mark_clean(marker) is False and not marker.exists()
    # a stop with every send acknowledged does, and the stores are kept, once
    monkeypatch.setattr(local_state, "unacked_sends", set())
    (tables / "sagas-0.db").mkdir(parents=True)
    assert local_state.mark_clean(marker) is True
    assert local_state.trust_or_wipe(tables, marker) is False and tables.exists()
    assert not marker.exists()  # consumed: the next start trusts only a new clean stop
