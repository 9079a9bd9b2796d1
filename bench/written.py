"""Where the pipeline's records are written, by kind of topic, and when the tables flush."""

from __future__ import annotations

from collections import Counter

import aiohttp
from aiokafka.admin import AIOKafkaAdminClient
from prometheus_client.parser import text_string_to_metric_families

from bench.kafka import options
from tests.support.system import System, Worker

FAUST_COMMIT_INTERVAL = 2.8  # Faust's default, which the app keeps


def business_topics(system: System) -> list[str]:
    """Where the pipeline's messages are counted (Faust's changelogs and repartition left out)."""
    names = ("orders.commands", "orders.events", "inventory.commands", "payments.commands",
             "carts.events", "orders.aggregates")  # fmt: skip
    return [system.topic(n) for n in names]


async def faust_topics(system: System) -> dict[str, list[str]]:
    """Faust's own topics of this deployment, by kind: the tables' changelogs, the repartition."""
    admin = AIOKafkaAdminClient(**options(), bootstrap_servers=system.bootstrap)
    await admin.start()
    try:
        names = await admin.list_topics()
    finally:
        await admin.close()
    app_id = system.env["ORDERS_APP_ID"]
    changelogs = [n for n in names if n.startswith(f"{app_id}-") and n.endswith("-changelog")]
    repartitions = [n for n in names if n.startswith(f"{app_id}-") and n.endswith("-repartition")]
    return {"changelog": sorted(changelogs), "repartition": sorted(repartitions)}


def commit_interval(system: System) -> float:
    """The commit interval the workers run with (Faust's ``BROKER_COMMIT_INTERVAL``)."""
    return float(system.env.get("BROKER_COMMIT_INTERVAL", FAUST_COMMIT_INTERVAL))


async def deliveries(workers: list[Worker]) -> Counter[str]:
    """Records handed to the agents so far, by Faust stream, summed over ``workers`` (Faust's
    own sensor, ``faust_total_events_per_stream`` on ``/metrics``)."""
    out: Counter[str] = Counter()
    async with aiohttp.ClientSession() as session:
        for worker in workers:
            async with session.get(f"{worker.url}/metrics") as resp:
                text = await resp.text()
            for family in text_string_to_metric_families(text):
                if family.name == "faust_total_events_per_stream":
                    for sample in family.samples:
                        if sample.name.endswith("_total"):
                            out[sample.labels["stream"]] += int(sample.value)
    return out
