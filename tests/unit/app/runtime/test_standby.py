"""``standby.written``: a standby partition's fetched changelog records go to its table at once,
in order, never over newer values; what cannot be written is fetched again, never handed to
Faust's path (whose queue a later batch written here would overtake)."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any

import pytest
from aiokafka import TopicPartition
from faust.types import TP

from app.runtime import standby

STANDBY = TP("orders-stock-changelog", 1)
ACTIVE = TP("orders-stock-changelog", 0)
INPUT = TP("orders.commands", 1)


class Table:
    def __init__(self, log: list[tuple[str, list[tuple[int, bytes]]]], fail: bool = False) -> None:
        self.log, self.fail = log, fail
        self._on_changelog_event = None

    def apply_changelog_batch(self, events: list[Any]) -> None:
        if self.fail:
            raise OSError("IO error: lock held")
        self.log.append(("written", [(e.message.offset, e.message.value) for e in events]))


class Recovery:
    def __init__(self, table: Table, seen: int | None = None) -> None:
        self.standby_tps = {STANDBY}
        self.standby_offsets: dict[TP, int | None] = {STANDBY: seen}
        self.tp_to_table = {STANDBY: table, ACTIVE: table}
        self.buffers: dict[Any, list[Any]] = {table: []}
        self.tables = SimpleNamespace(standbys_ready=False, on_standbys_ready=self.ready)
        self.table, self.was_ready = table, False

    def flush_buffers(self) -> None:
        for table, buffer in self.buffers.items():
            table.log.append(("flushed", [(e, b"old") for e in buffer]))
            buffer.clear()

    def standby_remaining_total(self) -> int:
        return 0

    def ready(self) -> None:
        self.was_ready = True


def app_with(recovery: Recovery) -> Any:
    return SimpleNamespace(client_only=False, tables=SimpleNamespace(recovery=recovery))


def fetched(tp: TP, offsets: range) -> list[Any]:
    return [SimpleNamespace(offset=o, key=b"k", value=f"v{o}".encode()) for o in offsets]


def test_a_standby_batch_is_written_at_once_and_the_rest_left_to_faust() -> None:
    # Given a fetch with records of a standby, an active changelog being restored and an input
    log: list[tuple[str, list[tuple[int, bytes]]]] = []
    recovery = Recovery(Table(log), seen=4)
    records = {TopicPartition(*tp): fetched(tp, range(3, 7)) for tp in (STANDBY, ACTIVE, INPUT)}
    # When they pass through
    rest, behind = standby.written(app_with(recovery), records)
    # Then the standby's records after the last one written (4) are in its table, its offset
    # moved on, and only the others go on to Faust's fetch loop
    assert log == [("written", [(5, b"v5"), (6, b"v6")])]
    assert recovery.standby_offsets[STANDBY] == 6
    assert rest is not None and set(rest) == {ACTIVE, INPUT} and behind == {}
    assert recovery.was_ready


def test_what_faust_buffered_for_the_table_is_written_first() -> None:
    log: list[tuple[str, list[tuple[int, bytes]]]] = []
    recovery = Recovery(Table(log), seen=2)
    recovery.buffers[recovery.table].extend([1, 2])  # taken by Faust's path before this fetch
    standby.written(app_with(recovery), {STANDBY: fetched(STANDBY, range(3, 5))})
    assert [what for what, _ in log] == ["flushed", "written"]


def test_a_batch_that_cannot_be_written_is_fetched_again_not_handed_to_faust() -> None:
    # Given a standby written up to 2 whose store refuses the next batch (a lock still held)
    log: list[tuple[str, list[tuple[int, bytes]]]] = []
    recovery = Recovery(Table(log, fail=True), seen=2)
    # When the batch 3-5 comes
    rest, behind = standby.written(app_with(recovery), {STANDBY: fetched(STANDBY, range(3, 6))})
    # Then nothing of it goes on to Faust's path, the partition is sought back to 2, and once
    # the store takes writes the batch fetched again is written whole
    assert rest == {} and behind == {STANDBY: 2} and recovery.standby_offsets[STANDBY] == 2
    recovery.table.fail = False
    standby.written(app_with(recovery), {STANDBY: fetched(STANDBY, range(2, 6))})
    assert log == [("written", [(3, b"v3"), (4, b"v4"), (5, b"v5")])]


def test_records_of_a_standby_whose_recovery_has_not_begun_are_dropped() -> None:
    log: list[tuple[str, list[tuple[int, bytes]]]] = []
    recovery = Recovery(Table(log), seen=None)  # the recovery's seek of it is coming
    rest, behind = standby.written(app_with(recovery), {STANDBY: fetched(STANDBY, range(7, 9))})
    assert rest == {} and behind == {} and log == []


def test_nothing_is_taken_without_standbys_or_in_a_client() -> None:
    log: list[tuple[str, list[tuple[int, bytes]]]] = []
    recovery = Recovery(Table(log))
    records = {STANDBY: fetched(STANDBY, range(0, 3))}
    client = SimpleNamespace(client_only=True, tables=SimpleNamespace(recovery=recovery))
    assert standby.written(client, records) == (records, {})
    recovery.standby_tps = set()
    assert standby.written(app_with(recovery), records) == (records, {})
    assert log == []


def test_a_fetch_that_spanned_a_rebalance_writes_nothing_and_is_fetched_again() -> None:
    # Given a standby written up to 2 and a fetch whose records came from a position set before
    # a rebalance (5-6: 3 and 4 were taken by a restore and cleared unread)
    log: list[tuple[str, list[tuple[int, bytes]]]] = []
    recovery = Recovery(Table(log), seen=2)
    # When it is not current (the generation changed or the flow stopped while it was out)
    rest, behind = standby.written(app_with(recovery), {STANDBY: fetched(STANDBY, range(5, 7))},
                                   current=False)  # fmt: skip
    # Then nothing is written, nothing goes to Faust's path, and it is fetched again from 2
    assert log == [] and rest == {} and behind == {STANDBY: 2}
    assert recovery.standby_offsets[STANDBY] == 2


class Thread:
    """The consumer thread: a fetch that ``during`` runs inside of, and the seeks asked for."""

    def __init__(self, records: dict[Any, list[Any]], during: Any) -> None:
        self.records, self.during, self.sought = records, during, list[dict[Any, int]]()

    async def getmany(self, active: Any, timeout: float) -> dict[Any, list[Any]]:
        self.during()
        return self.records

    async def seek_wait(self, offsets: dict[Any, int]) -> None:
        self.sought.append(offsets)


@pytest.mark.parametrize(
    ("what", "during", "written"),
    [
        ("nothing happened", lambda app, c: None, True),
        ("a rebalance", lambda app, c: setattr(app, "consumer_generation_id", 8), False),
        ("the flow stopped", lambda app, c: setattr(c, "flow_active", False), False),
    ],
)
def test_the_consumer_writes_a_fetch_only_if_it_stayed_in_one_generation_with_the_flow_on(
    monkeypatch: pytest.MonkeyPatch, what: str, during: Any, written: bool
) -> None:
    from app.application import app

    log: list[tuple[str, list[tuple[int, bytes]]]] = []
    recovery = Recovery(Table(log), seen=2)
    consumer: Any = app.consumer
    monkeypatch.setattr(app, "consumer_generation_id", 7)
    monkeypatch.setattr(app.tables, "_recovery", recovery)
    monkeypatch.setattr(consumer, "flow_active", True)
    thread = Thread({STANDBY: fetched(STANDBY, range(3, 5))}, lambda: during(app, consumer))
    monkeypatch.setattr(consumer, "_thread", thread)
    assert asyncio.run(consumer._getmany({STANDBY}, 1.0)) == {}, what
    if written:
        assert log == [("written", [(3, b"v3"), (4, b"v4")])] and thread.sought == []
    else:
        assert log == [] and thread.sought == [{TopicPartition(*STANDBY): 2}]
