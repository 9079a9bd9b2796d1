"""CLI commands on the app: ``create-topics``, ``schemas``, ``simulate`` (``faust -A app …``)."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError
from faust.cli import AppCommand, option
from tqdm import tqdm

from app.faust_app import app, settings
from app.topics import BY_NAME, SPECS
from domain import simulation
from domain.schemas import json_schemas


def bootstrap_servers() -> str:
    return ",".join(f"{url.host}:{url.port or 9092}" for url in app.conf.broker)


@app.command()
async def create_topics(self: AppCommand) -> None:
    """Create every topic of the system (idempotent): the job of compose's kafka-init."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers())
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        for spec in SPECS:
            if spec.real_name in existing:
                self.say(f"exists   {spec.real_name}")
                continue
            topic = NewTopic(
                spec.real_name,
                settings.topic_partitions,
                settings.topic_replication,
                topic_configs=spec.config(),
            )
            try:
                await admin.create_topics([topic])
                self.say(
                    f"created  {spec.real_name}  partitions={settings.topic_partitions} "
                    f"replication={settings.topic_replication} {spec.config()}"
                )
            except TopicAlreadyExistsError:
                self.say(f"exists   {spec.real_name}")
    finally:
        await admin.close()


@app.command(
    option("--out", default=None, help="Write one <eventType>.schema.json per message here.")
)
async def schemas(self: AppCommand, out: str | None) -> None:
    """Print (or write) the JSON Schema of every message, envelope included."""
    docs = json_schemas()
    if out is None:
        print(json.dumps(docs, indent=2))
        return
    Path(out).mkdir(parents=True, exist_ok=True)
    for name, doc in docs.items():
        (Path(out) / f"{name}.schema.json").write_text(json.dumps(doc, indent=2) + "\n")
    self.say(f"wrote {len(docs)} schemas to {out}")


@app.command(
    option("--orders", type=int, default=100, help="Valid orders to send."),
    option("--rate", type=float, default=50.0, help="Orders per second; 0 = as fast as possible."),
    option("--seed", type=int, default=1, help="Same seed, same orders."),
    option("--corrupt-ratio", type=float, default=0.0, help="Extra corrupt records per order."),
    option("--users", type=int, default=50, help="Distinct customers."),
)
async def simulate(
    self: AppCommand, orders: int, rate: float, seed: int, corrupt_ratio: float, users: int
) -> None:
    """Send enriched OrderCreated events (and corrupt records) to orders.events."""
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap_servers(), acks="all", linger_ms=5, enable_idempotence=True
    )
    await producer.start()
    topic, sent, started = BY_NAME["orders.events"].get_topic_name(), 0, time.monotonic()
    try:
        futures: list[Any] = []
        records = simulation.orders(orders, seed=seed, corrupt_ratio=corrupt_ratio, users=users)
        for i, rec in enumerate(
            tqdm(records, total=orders + round(orders * corrupt_ratio), unit="msg", desc="simulate")
        ):
            futures.append(await producer.send(topic, rec.value, key=rec.key.encode()))
            sent += 1
            if rate > 0 and (delay := started + (i + 1) / rate - time.monotonic()) > 0:
                await asyncio.sleep(delay)
        await asyncio.gather(*futures)
    finally:
        await producer.stop()
    self.say(f"sent {sent} records to {topic} in {time.monotonic() - started:.1f}s")
