"""``faust -A app create-topics``: every topic of the system, idempotent (compose's kafka-init)."""

from __future__ import annotations

import sys

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from faust.cli import AppCommand

from app.adapters.kafka import bootstrap_servers
from app.adapters.kafka_auth import aiokafka_options
from app.application import app
from app.settings import settings
from app.topics import SPECS, TopicSpec

TOPIC_ALREADY_EXISTS = 36


async def _check_existing(admin: AIOKafkaAdminClient, specs: list[TopicSpec]) -> list[str]:
    """Problems with topics that exist: another partition count breaks co-partitioning."""
    problems = []
    for topic in await admin.describe_topics([s.real_name for s in specs]):
        count = len(topic["partitions"])
        if topic["error_code"] == 0 and count != settings.topic_partitions:
            problems.append(
                f"{topic['topic']} has {count} partitions, settings say {settings.topic_partitions}"
            )
    return problems


@app.command()
async def create_topics(self: AppCommand) -> None:
    """Create every topic of the system (idempotent): the job of compose's kafka-init."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers(), **aiokafka_options())
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [s for s in SPECS if s.real_name not in existing]
        problems = await _check_existing(admin, [s for s in SPECS if s.real_name in existing])
        for spec in SPECS:
            if spec.real_name in existing:
                self.say(f"exists   {spec.real_name}")
        if missing:
            problems += await _create(self, admin, missing)
    finally:
        await admin.close()
    if problems:
        for problem in problems:
            self.say(f"ERROR    {problem}", file=sys.stderr)
        raise SystemExit(1)


async def _create(
    self: AppCommand, admin: AIOKafkaAdminClient, specs: list[TopicSpec]
) -> list[str]:
    new = [
        NewTopic(
            s.real_name,
            settings.topic_partitions,
            settings.topic_replication,
            topic_configs=s.config(),
        )
        for s in specs
    ]
    response = await admin.create_topics(new)
    problems = []
    for name, code, message in response.topic_errors:
        if code == 0:
            self.say(f"created  {name}  partitions={settings.topic_partitions} "
                     f"replication={settings.topic_replication}")  # fmt: skip
        elif code == TOPIC_ALREADY_EXISTS:
            self.say(f"exists   {name}")
        else:
            problems.append(f"cannot create {name}: error {code}: {message}")
    return problems
