"""Where the pipeline's records are written, by kind of topic, and when the tables flush."""

from __future__ import annotations

from aiokafka.admin import AIOKafkaAdminClient

from tests.support.system import System

FAUST_COMMIT_INTERVAL = 2.8  # Faust's default, which the app keeps


def business_topics(system: System) -> list[str]:
    """Where the pipeline's messages are counted (Faust's changelogs and repartition left out)."""
    names = ("orders.commands", "orders.events", "inventory.commands", "payments.commands",
             "carts.events", "orders.aggregates")  # fmt: skip
    return [system.topic(n) for n in names]


async def faust_topics(system: System) -> dict[str, list[str]]:
    """Faust's own topics of this deployment, by kind: the tables' changelogs, the repartition."""
    admin = AIOKafkaAdminClient(bootstrap_servers=system.bootstrap)
    await admin.start()
    try:
        names = await admin.list_topics()
    finally:
        await admin.close()
    app_id = system.env["ORDERS_APP_ID"]
    changelogs = [n for n in names if n.startswith(f"{app_id}-") and n.endswith("-changelog")]
    repartitions = [n for n in names if n.endswith("-repartition") and system.prefix in n]
    return {"changelog": sorted(changelogs), "repartition": sorted(repartitions)}


def commit_interval(system: System) -> float:
    """The commit interval the workers run with (Faust's ``BROKER_COMMIT_INTERVAL``)."""
    return float(system.env.get("BROKER_COMMIT_INTERVAL", FAUST_COMMIT_INTERVAL))
