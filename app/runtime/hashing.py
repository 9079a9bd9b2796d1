"""Kafka's default key hash (murmur2), remembered per key.

aiokafka's ``murmur2`` is pure Python, a loop over the key's bytes: about as long as handling a
small record, and asked for every keyed send (the producer's partitioner) and every record an
agent checks for its partition (``app.runtime.repair.misplaced``). An order's id is hashed about
thirty times over its life, a sku or a user's id thousands of times. The hash of a key never
changes, so it is kept for the most recent keys (``functools.lru_cache``, bounded)."""

from __future__ import annotations

import functools
import random
from collections.abc import Sequence

from aiokafka.partitioner import murmur2

KEYS_REMEMBERED = 1 << 15  # ~4 MB at most for ids of ~40 bytes


@functools.lru_cache(maxsize=KEYS_REMEMBERED)
def key_hash(key: bytes) -> int:
    """The positive murmur2 of ``key``, as Kafka's DefaultPartitioner takes it."""
    return int(murmur2(key) & 0x7FFFFFFF)


def partition_for(key: bytes, partitions: int) -> int:
    """Same as the Java client's and aiokafka's DefaultPartitioner for a non-null key."""
    return key_hash(key) % partitions


class RememberingPartitioner:
    """aiokafka's ``DefaultPartitioner`` (the producer's ``partitioner``) with the hash kept."""

    def __call__(self, key: bytes | None, all_partitions: Sequence[int],
                 available: Sequence[int]) -> int:  # fmt: skip
        if key is None:  # as aiokafka: any available partition, else any
            return random.choice(available or all_partitions)
        return all_partitions[key_hash(key) % len(all_partitions)]
