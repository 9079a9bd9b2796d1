"""``faust -A app create-topics``: every topic with its settings, idempotent, loud on failure."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType

from app.topics import SPECS
from tests.support.system import REPO, System


def configs(bootstrap: str, topics: list[str]) -> dict[str, dict[str, str]]:
    async def run() -> dict[str, dict[str, str]]:
        admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
        await admin.start()
        try:
            described = await admin.describe_topics(topics)
            resources = [ConfigResource(ConfigResourceType.TOPIC, t) for t in topics]
            responses = await admin.describe_configs(resources)
        finally:
            await admin.close()
        out = {t["topic"]: {"partitions": str(len(t["partitions"]))} for t in described}
        for response in responses:
            for _, _, _, name, entries in response.resources:
                out[name].update({e[0]: e[1] for e in entries})
        return out

    return asyncio.run(run())


def test_create_topics_makes_every_topic_with_its_retention(
    kafka_bootstrap: str, tmp_path: Path
) -> None:
    system = System(kafka_bootstrap, tmp_path)
    first = system.faust("create-topics")
    assert first.stdout.count("created") == len(SPECS)
    found = configs(kafka_bootstrap, [system.topic(s.name) for s in SPECS])
    assert {name.removeprefix(system.prefix) for name in found} == {s.name for s in SPECS}
    events, dlq = found[system.topic("orders.events")], found[system.topic("orders.dlq")]
    assert events["partitions"] == "3" and events["retention.ms"] == str(7 * 86_400_000)
    assert dlq["retention.ms"] == str(30 * 86_400_000)
    assert found[system.topic("orders.aggregates")]["cleanup.policy"] == "compact"
    again = system.faust("create-topics")
    assert again.stdout.count("exists") == len(SPECS) and "created" not in again.stdout


def test_create_topics_fails_loudly_when_the_broker_refuses(
    kafka_bootstrap: str, tmp_path: Path
) -> None:
    system = System(kafka_bootstrap, tmp_path)
    proc = subprocess.run(
        [sys.executable, "-m", "faust", "-A", "app", "create-topics"],
        cwd=REPO, env={**system.env, "ORDERS_TOPIC_REPLICATION": "3"},
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert proc.returncode != 0, proc.stdout
    assert "cannot create" in proc.stderr + proc.stdout
    assert "replication factor" in (proc.stderr + proc.stdout).lower()
