"""``CheckedTable``: Faust's partition check without its false alarm during a rebalance."""

from __future__ import annotations

import pytest
from faust.exceptions import PartitionsMismatch

from app.application import app
from app.runtime.tables import CheckedTable
from tables.saga import sagas

SOURCE = "t.orders.events"


def _checked() -> CheckedTable:
    assert isinstance(sagas.table, CheckedTable)  # the app's Table class
    return sagas.table


TABLE = _checked()


@pytest.fixture()
def counts(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """Partitions per topic as the consumer's metadata snapshot has them now."""
    known: dict[str, int] = {}
    monkeypatch.setattr(app.consumer, "topic_partitions", lambda topic: known.get(topic))
    monkeypatch.setattr(TABLE, "_verified_source_topics_for_partitions", set())
    return known


def test_a_changelog_counted_at_0_partitions_is_checked_again_later(counts: dict) -> None:
    # Given a rebalance's metadata snapshot that has not counted the changelog's partitions yet
    counts.update({SOURCE: 3, TABLE.changelog_topic_name: 0})
    # When a write checks: no error, and nothing taken as verified
    TABLE._verify_source_topic_partitions(SOURCE)
    assert SOURCE not in TABLE._verified_source_topics_for_partitions
    # Then once the snapshot has it, the check is made (and passes)
    counts[TABLE.changelog_topic_name] = 3
    TABLE._verify_source_topic_partitions(SOURCE)
    assert SOURCE in TABLE._verified_source_topics_for_partitions


def test_a_real_mismatch_still_raises(counts: dict) -> None:
    counts.update({SOURCE: 3, TABLE.changelog_topic_name: 6})
    with pytest.raises(PartitionsMismatch):
        TABLE._verify_source_topic_partitions(SOURCE)
