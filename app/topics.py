"""Every Kafka topic, declared once: name, key, partitions, replication, retention."""

from __future__ import annotations

from dataclasses import dataclass

import faust

from app.application import app
from app.settings import settings


@dataclass(frozen=True)
class TopicSpec:
    name: str  # logical name; the real name adds ORDERS_TOPIC_PREFIX
    key: str
    dlq: bool = False
    compacted: bool = False

    @property
    def real_name(self) -> str:
        return settings.topic_prefix + self.name

    def config(self) -> dict[str, str]:
        cfg = {"retention.ms": str(settings.retention_ms(dlq=self.dlq))}
        if self.compacted:
            cfg["cleanup.policy"] = "compact"
        return {**cfg, **settings.durability()}


SPECS: tuple[TopicSpec, ...] = (
    TopicSpec("orders.commands", key="userId"),
    TopicSpec("orders.events", key="orderId"),
    TopicSpec("inventory.commands", key="sku"),
    TopicSpec("payments.commands", key="orderId"),
    TopicSpec("users.events", key="userId"),
    TopicSpec("carts.events", key="userId"),
    TopicSpec("orders.aggregates", key="userId", compacted=True),
    TopicSpec("orders.dlq", key="original key", dlq=True),
    TopicSpec("inventory.catalog", key="sku", compacted=True),
)


def _declare(spec: TopicSpec) -> faust.TopicT:
    return app.topic(
        spec.real_name,
        key_type=bytes,
        value_type=bytes,
        partitions=settings.topic_partitions,
        replicas=settings.topic_replication,
        retention=settings.retention_ms(dlq=spec.dlq) / 1000,
        compacting=spec.compacted,
        config=spec.config(),
    )


orders_commands_topic = _declare(SPECS[0])
orders_events_topic = _declare(SPECS[1])
inventory_commands_topic = _declare(SPECS[2])
payments_commands_topic = _declare(SPECS[3])
users_events_topic = _declare(SPECS[4])
carts_events_topic = _declare(SPECS[5])
orders_aggregates_topic = _declare(SPECS[6])
orders_dlq_topic = _declare(SPECS[7])
inventory_catalog_topic = _declare(SPECS[8])

BY_NAME: dict[str, faust.TopicT] = {
    spec.name: topic
    for spec, topic in zip(
        SPECS,
        (orders_commands_topic, orders_events_topic, inventory_commands_topic,
         payments_commands_topic, users_events_topic, carts_events_topic,
         orders_aggregates_topic, orders_dlq_topic, inventory_catalog_topic),
        strict=True,
    )
}  # fmt: skip


# orders.events regrouped by userId (``agents.aggregates.regroup``), for aggregate-users: named
# after the app like its changelogs, inside the app's ACLs (the name it had as a Faust group_by).
by_user_topic: faust.TopicT = orders_events_topic.derive(  # type: ignore[assignment]
    prefix=f"{settings.app_id}-",
    suffix="-by-user-repartition",
    partitions=settings.topic_partitions,
    internal=True,
)

# Internal (like Faust's changelogs, named after the app id): DLQ records by their id, and the
# redrive requests for them, so one agent sees both in order and redrives each record once.
dlq_index_topic = app.topic(
    f"{settings.app_id}-dlq-by-id",
    key_type=bytes,
    value_type=bytes,
    partitions=settings.topic_partitions,
    replicas=settings.topic_replication,
    config=settings.durability(),
    internal=True,
)


def logical_name(topic: faust.TopicT | str) -> str:
    """``orders.events`` for the topic (or a topic's name) whatever its prefix."""
    name = topic if isinstance(topic, str) else topic.get_topic_name()
    return name.removeprefix(settings.topic_prefix)
