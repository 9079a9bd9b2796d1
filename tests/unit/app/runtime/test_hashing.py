"""The remembered key hash is Kafka's: the same partition as aiokafka's (and the Java client's)
DefaultPartitioner for every key, remembered or not."""

from __future__ import annotations

import random

from aiokafka.partitioner import DefaultPartitioner, murmur2

from app.runtime.hashing import RememberingPartitioner, key_hash, partition_for


def test_known_values_of_the_java_client() -> None:
    # org.apache.kafka.common.utils.UtilsTest#testMurmur2 (Java's int; aiokafka's is unsigned)
    assert murmur2(b"21") == -973932308 & 0xFFFFFFFF
    assert key_hash(b"21") == -973932308 & 0x7FFFFFFF
    assert key_hash(b"abc") == murmur2(b"abc") & 0x7FFFFFFF


def test_the_partitioner_places_every_key_as_aiokafkas_does() -> None:
    ours, theirs = RememberingPartitioner(), DefaultPartitioner()
    rng = random.Random(7)
    keys = [f"order-{rng.getrandbits(64):x}".encode() for _ in range(2000)]
    for partitions in ([0, 1, 2], list(range(12))):
        for key in keys + keys:  # the second time from the cache
            want = theirs(key, partitions, partitions)
            assert ours(key, partitions, partitions) == want
            assert partition_for(key, len(partitions)) == want
    assert key_hash.cache_info().hits >= len(keys)


def test_a_null_key_goes_to_an_available_partition() -> None:
    ours = RememberingPartitioner()
    assert {ours(None, [0, 1, 2], [2]) for _ in range(20)} == {2}
    assert {ours(None, [0, 1, 2], []) for _ in range(200)} <= {0, 1, 2}
