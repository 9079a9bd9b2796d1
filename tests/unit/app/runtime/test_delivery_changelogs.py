"""Changelog partitions through ``OrderedConsumer`` (cause 13 in docs/liveness.md): not checked
for holes (compaction leaves them), but what a batch fetched and Faust's fetch loop did not take
is fetched again. No broker: the client's seeks are recorded, not made."""

from __future__ import annotations

import pytest

from app.application import app
from tests.unit.app.runtime.test_delivery import CHANGELOG, Loop, loop

__all__ = ["loop"]  # the fixture, shared with test_delivery


@pytest.fixture()
def changelogs(monkeypatch: pytest.MonkeyPatch) -> None:
    names = {CHANGELOG.topic}
    monkeypatch.setattr(type(app.tables), "changelog_topics", property(lambda _: names))


async def test_changelog_records_are_not_checked_for_holes(loop: Loop, changelogs: None) -> None:
    await loop.batch(3, 9, tp=CHANGELOG)  # compaction leaves holes: nothing is missing
    assert loop.delivered == [3, 9] and loop.sought == [] and loop.fetched_again == []


async def test_changelog_records_the_fetch_loop_left_in_a_batch_are_fetched_again(
    loop: Loop, changelogs: None
) -> None:
    # Given a batch of a standby's changelog fetched up to 12, whose records after 9 Faust's
    # fetch loop did not take (the flow stopped): the client's position is past them
    await loop.batch(3, 9, tp=CHANGELOG, upto=12)
    # Then the partition is fetched again from the first record not taken
    assert loop.delivered == [3, 9] and loop.fetched_again == [{CHANGELOG: 10}]


async def test_a_changelog_batch_dropped_whole_is_fetched_again_from_its_first_record(
    loop: Loop, changelogs: None
) -> None:
    # Given a batch fetched from 0 to 133 that Faust dropped whole (the flow stopped before it
    # was handed on: ``getmany called while flow not active``); the standby then went on from
    # 134 and its table never had the records before (``make faults``: a user's totals lost
    # an order)
    await loop.batch(tp=CHANGELOG, first=0, upto=133)
    assert loop.delivered == [] and loop.fetched_again == [{CHANGELOG: 0}]


async def test_after_a_new_rebalance_the_recovery_seeks_the_changelogs(
    loop: Loop, changelogs: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    def rebalanced() -> None:
        monkeypatch.setattr(type(app), "consumer_generation_id", 99, raising=False)

    await loop.batch(tp=CHANGELOG, first=0, upto=133, during=rebalanced)
    assert loop.fetched_again == []
