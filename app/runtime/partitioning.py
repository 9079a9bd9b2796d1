"""Kafka's default key partitioning (murmur2), the one the read side and the changelogs rely on."""

from __future__ import annotations

import faust
from aiokafka.partitioner import murmur2

from app.application import app


def partition_for(key: bytes, partitions: int) -> int:
    """Same as the Java client's and aiokafka's DefaultPartitioner for a non-null key."""
    return int(murmur2(key) & 0x7FFFFFFF) % partitions


def expected_partition(topic: faust.TopicT, key: bytes) -> int | None:
    """Where ``key`` belongs on ``topic``; None while the subscription metadata is not known."""
    try:
        count = app.consumer.topic_partitions(topic.get_topic_name())
    except Exception:  # no consumer yet (agent test context, CLI commands)
        return None
    return partition_for(key, count) if count else None
