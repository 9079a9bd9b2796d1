"""On a 3-node cluster, every topic the app owns (its business topics, the DLQ index, Faust's
changelogs and repartitions) has 3 replicas and needs 2 in sync."""

from __future__ import annotations

import asyncio
from pathlib import Path

from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType

from localkafka.cluster import Cluster
from tests.support.system import System, eventually

DURABLE = {"ORDERS_TOPIC_REPLICATION": "3", "ORDERS_MIN_INSYNC_REPLICAS": "2"}


async def durability(bootstrap: str, owned: tuple[str, ...]) -> dict[str, tuple[int, str]]:
    """topic -> (replicas of partition 0, min.insync.replicas) for the topics named ``owned*``."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        names = [t for t in await admin.list_topics() if t.startswith(owned)]
        described = await admin.describe_topics(names)
        configs = await admin.describe_configs(
            [ConfigResource(ConfigResourceType.TOPIC, name) for name in names]
        )
    finally:
        await admin.close()
    replicas = {t["topic"]: len(t["partitions"][0]["replicas"]) for t in described}
    min_isr = {}
    for response in configs:
        for _, _, _, name, entries in response.resources:
            min_isr[name] = next(e[1] for e in entries if e[0] == "min.insync.replicas")
    return {name: (replicas[name], min_isr[name]) for name in names}


def test_every_topic_the_app_owns_is_replicated(kafka_cluster: Cluster, tmp_path: Path) -> None:
    system = System(kafka_cluster.bootstrap, tmp_path, settings=DURABLE)
    system.create_topics()
    try:
        w = system.start_worker()
        w.wait_ready(120)
        system.faust("simulate", "--orders", "10", "--rate", "0", "--settle", "1")
        check_topics(system)
    finally:
        system.stop_all()


def check_topics(system: System) -> None:
    app_id = system.env["ORDERS_APP_ID"]
    owned = (system.prefix, f"{app_id}-")  # the repartition too: app.topics.by_user_topic

    def all_there() -> dict[str, tuple[int, str]]:
        found = asyncio.run(durability(system.bootstrap, owned))
        names = set(found)
        assert f"{app_id}-dlq-by-id" in names, sorted(names)
        assert f"{app_id}-order-status-changelog" in names, sorted(names)
        assert any(n.endswith("-repartition") for n in names), sorted(names)
        return found

    found = eventually(all_there, 60, interval=2)
    assert len(found) >= 20, sorted(found)
    wrong = {name: got for name, got in found.items() if got != (3, "2")}
    assert not wrong, wrong
