"""localkafka 3-node KRaft cluster: replication 3, acks=all through a stopped and a killed node."""

from __future__ import annotations

import asyncio
import time

import pytest
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from tests.support.kafka import consume_values, produce_values

pytestmark = pytest.mark.integration

TOPIC = "lk-replicated"


async def create_replicated_topic(bootstrap: str) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        topic = NewTopic(TOPIC, 3, 3, topic_configs={"min.insync.replicas": "2"})
        await admin.create_topics([topic])
    finally:
        await admin.close()


async def in_sync_replicas(bootstrap: str) -> list[int]:
    """ISR size of each partition of TOPIC."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        [topic] = await admin.describe_topics([TOPIC])
        return [len(partition["isr"]) for partition in topic["partitions"]]
    finally:
        await admin.close()


def wait_for_full_isr(bootstrap: str, timeout: float = 60) -> list[int]:
    deadline = time.monotonic() + timeout
    while (isr := asyncio.run(in_sync_replicas(bootstrap))) != [3, 3, 3]:
        if time.monotonic() > deadline:
            break
        time.sleep(0.5)
    return isr


def test_cluster_replicates_and_survives_one_node_down(kafka_cluster):
    bootstrap = kafka_cluster.bootstrap
    assert len(bootstrap.split(",")) == 3
    assert all(node.is_running() for node in kafka_cluster.nodes)
    asyncio.run(create_replicated_topic(bootstrap))
    assert wait_for_full_isr(bootstrap) == [3, 3, 3]
    asyncio.run(produce_values(bootstrap, TOPIC, [b"a1", b"a2", b"a3"]))
    assert asyncio.run(consume_values(bootstrap, TOPIC, 3, group="lk-g1", timeout=60)) == [
        b"a1",
        b"a2",
        b"a3",
    ]

    kafka_cluster.stop(1)
    assert not kafka_cluster.nodes[1].is_running()
    asyncio.run(produce_values(bootstrap, TOPIC, [b"b1", b"b2"]))  # acks=all with 2 of 3 in sync
    assert len(asyncio.run(consume_values(bootstrap, TOPIC, 5, group="lk-g2", timeout=60))) == 5

    assert kafka_cluster.start(1) == bootstrap
    assert kafka_cluster.nodes[1].is_running()
    assert wait_for_full_isr(bootstrap) == [3, 3, 3], "the restarted node rejoins every ISR"


def test_cluster_survives_a_killed_node(kafka_cluster):
    bootstrap = kafka_cluster.bootstrap
    kafka_cluster.kill(2)
    assert not kafka_cluster.nodes[2].is_running()
    # Leaders on the crashed node move once its session times out; the producer retries until then.
    asyncio.run(produce_values(bootstrap, TOPIC, [b"c1"]))
    assert b"c1" in asyncio.run(consume_values(bootstrap, TOPIC, 6, group="lk-g3", timeout=60))

    kafka_cluster.start(2)
    assert wait_for_full_isr(bootstrap) == [3, 3, 3]
