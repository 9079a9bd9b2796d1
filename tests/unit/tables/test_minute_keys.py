"""Orders per minute: an order is counted under one of its partition's keys, and the reader asks
every key a writer uses (the sharded ones and the one a worker before the shards wrote)."""

from __future__ import annotations

from collections import Counter

from tables.aggregates import MINUTE_SHARDS, minute_key, minute_keys, placed_orders


def test_every_key_written_is_read_and_the_orders_spread_over_the_shards() -> None:
    placed = Counter(minute_key(2, f"order-{n}") for n in range(3200))
    assert set(placed) <= set(minute_keys(2))
    assert len(placed) == MINUTE_SHARDS  # each shard takes a share …
    assert max(placed.values()) < 2 * 3200 / MINUTE_SHARDS  # … none much more than its share
    assert minute_key(2, "order-7") == minute_key(2, "order-7")  # a redelivery: the same key


def test_a_partitions_keys_are_its_own() -> None:
    assert "p0" in minute_keys(0) and not set(minute_keys(0)) & set(minute_keys(1))
    assert {minute_key(1, f"o-{n}") for n in range(500)}.isdisjoint(minute_keys(0))


def test_an_order_under_the_old_key_and_a_new_one_counts_once() -> None:
    old = {"o-1": 1, "o-2": 1}  # a worker before the shards
    shards = [{"o-2": 1, "o-3": 1}, None, {"o-4": 1}]  # o-2 handled again after the upgrade
    assert placed_orders([old, *shards]) == 4
    assert placed_orders([None, None]) == 0
