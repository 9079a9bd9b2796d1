"""``app.runtime.garbage``: the young generation's threshold, and what a started worker freezes."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from app.runtime import garbage
from app.settings import settings


@pytest.fixture()
def gc_state() -> Iterator[None]:
    """The interpreter's collector as it was, after the test."""
    threshold, configured = gc.get_threshold(), garbage._threshold[0]
    try:
        yield
    finally:
        gc.unfreeze()
        gc.set_threshold(*threshold)
        garbage._threshold[0] = configured


@pytest.mark.usefixtures("gc_state")
def test_a_threshold_sets_the_young_generation_and_keeps_the_older_ones() -> None:
    gc.set_threshold(700, 10, 10)
    garbage.configure(20_000)
    assert gc.get_threshold() == (20_000, 10, 10)


@pytest.mark.usefixtures("gc_state")
def test_a_started_worker_freezes_what_is_alive_and_still_collects_what_comes_after() -> None:
    garbage.configure(20_000)
    gc.unfreeze()
    # When the worker has started
    frozen = garbage.freeze()
    # Then what was alive is out of every later collection
    assert frozen == gc.get_freeze_count() > 1000
    # and a cycle made afterwards is still collected
    cycle: list[object] = []
    cycle.append(cycle)
    del cycle
    assert gc.collect() >= 1


@pytest.mark.usefixtures("gc_state")
def test_zero_keeps_cpythons_collector_as_it_is() -> None:
    gc.set_threshold(700, 10, 10)
    gc.unfreeze()
    garbage.configure(0)
    assert garbage.freeze() == 0
    assert gc.get_threshold() == (700, 10, 10) and gc.get_freeze_count() == 0


def test_the_app_configures_the_threshold_from_its_settings() -> None:
    import app.application  # noqa: F401  (configures at import)

    assert garbage._threshold[0] == settings.gc_threshold
    assert gc.get_threshold()[0] == settings.gc_threshold
