"""Kafka's default key partitioning (murmur2), the one the read side and the changelogs rely on."""

from __future__ import annotations

import faust

from app.application import app
from app.runtime.hashing import partition_for

__all__ = ["expected_partition", "partition_for"]


def expected_partition(topic: faust.TopicT, key: bytes) -> int | None:
    """Where ``key`` belongs on ``topic``; None while the subscription metadata is not known."""
    try:
        count = app.consumer.topic_partitions(topic.get_topic_name())
    except Exception:  # no consumer yet (agent test context, CLI commands)
        return None
    return partition_for(key, count) if count else None
