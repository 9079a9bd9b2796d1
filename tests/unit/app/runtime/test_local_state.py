"""Local table stores are trusted only after a stop that left nothing unsent."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.runtime import local_state


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
