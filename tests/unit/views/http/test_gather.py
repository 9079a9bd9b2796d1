"""A list over every partition, decided from hand-made parts: complete and once, or a 503."""

from __future__ import annotations

from typing import Any

import pytest
from faust.types import TP

from app.runtime.assignment import Assignment
from tests.unit.views.http.test_routing import CHANGELOG, TABLE, group
from views.http import gather
from views.http.gather import Unavailable, combine, local_part
from views.http.routing import Refuse


def part(generation: int, partitions: list[int], *ids: str) -> dict[str, Any]:
    return {"generation": generation, "partitions": partitions,
            "items": [{"orderId": i, "from": partitions} for i in ids]}  # fmt: skip


def test_every_partition_covered_in_one_generation_lists_each_item_once() -> None:
    # Given two workers whose parts cover partitions 0..2, one item seen by both
    parts: list[tuple[str, Any]] = [
        ("w1", part(4, [0, 2], "o-1", "o-2")),
        ("w2", part(4, [1], "o-3", "o-2")),
    ]
    # Then every item is there, once
    items = combine(parts, "orderId", 3, CHANGELOG)
    assert isinstance(items, list) and sorted(i["orderId"] for i in items) == ["o-1", "o-2", "o-3"]


def test_partitions_missing_are_a_503_naming_them_and_why() -> None:
    # Given a worker that did not answer, and so partition 1 that nobody covered
    parts: list[tuple[str, Any]] = [
        ("w1", part(4, [0, 2], "o-1")),
        ("w2", Unavailable("rebalancing or recovering")),
    ]
    assert combine(parts, "orderId", 3, CHANGELOG) == Refuse(
        f"partitions [1] of {CHANGELOG} are not available now "
        "(w2: Unavailable rebalancing or recovering)"
    )
    assert combine([], "orderId", 2, CHANGELOG) == Refuse(
        f"partitions [0, 1] of {CHANGELOG} are not available now (unassigned)"
    )


def test_parts_of_two_generations_are_a_503() -> None:
    parts: list[tuple[str, Any]] = [("w1", part(4, [0, 2])), ("w2", part(5, [1]))]
    assert combine(parts, "orderId", 3, CHANGELOG) == Refuse(
        "the workers are rebalancing (different generations)"
    )


@pytest.fixture()
def scan(monkeypatch: pytest.MonkeyPatch) -> str:
    """A list over the fake table: one item per partition this worker owns."""
    monkeypatch.setitem(gather.SCANS, "test-list", (TABLE, lambda params: [{"orderId": "o-9"}]))
    return "test-list"


def still(monkeypatch: pytest.MonkeyPatch, g: Assignment) -> Assignment:
    """The group as it stands once the share's acks came: ``g`` (no rebalance meanwhile)."""
    monkeypatch.setattr(Assignment, "now", classmethod(lambda cls: g))
    return g


async def test_a_worker_shares_the_partitions_it_owns_with_its_generation(
    scan: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    share = await local_part(scan, {}, still(monkeypatch, group(mine=(2, 0))))
    assert share == {"generation": 3, "partitions": [0, 2], "items": [{"orderId": "o-9"}]}


async def test_a_rebalancing_worker_shares_nothing(scan: str) -> None:
    with pytest.raises(Unavailable, match="rebalancing or recovering"):
        await local_part(scan, {}, group(moving="recovering tables from changelogs"))


async def test_a_rebalance_while_the_share_waited_for_its_acks_shares_nothing(
    scan: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = group(mine=(2, 0))
    still(monkeypatch, Assignment(**{**before.__dict__, "generation": before.generation + 1}))
    with pytest.raises(Unavailable, match="rebalancing"):
        await local_part(scan, {}, before)


async def test_only_active_partitions_of_its_own_table_are_shared(
    scan: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    elsewhere = Assignment(me="http://w1:6066", owners={}, active={TP("other", 1)}, moving=None,
                         generation=1)  # fmt: skip
    assert (await local_part(scan, {}, still(monkeypatch, elsewhere)))["partitions"] == []
