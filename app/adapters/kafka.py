"""Plain Kafka clients beside the worker's own: the brokers' address, a consumer in no group."""

from __future__ import annotations

from typing import Any

from aiokafka import AIOKafkaConsumer

from app.adapters.kafka_auth import aiokafka_options
from app.application import app


def bootstrap_servers() -> str:
    """The app's brokers (``BROKER_URL``, else ``ORDERS_BROKER_URL``) as ``host:port,…``."""
    return ",".join(f"{url.host}:{url.port or 9092}" for url in app.conf.broker)


def outside_group(bootstrap: str, **options: Any) -> AIOKafkaConsumer:
    """A consumer that joins no group and commits nothing, from the beginning of what it is
    assigned: the workers' offsets are never touched."""
    return AIOKafkaConsumer(
        bootstrap_servers=bootstrap,
        group_id=None,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        **(aiokafka_options() | options),
    )
