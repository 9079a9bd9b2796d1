"""``faust -A app simulate``: sample traffic, through the commands (the saga runs) or as events."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Iterable

from aiokafka import AIOKafkaProducer
from faust.cli import AppCommand, option
from tqdm import tqdm

from app.adapters.kafka import bootstrap_servers
from app.application import app
from app.topics import BY_NAME
from domain import envelope, scenario, simulation
from domain.messages import Message, PlaceOrder

Record = tuple[str, str, bytes]  # logical topic, key, value


def _record(body: Message) -> Record:
    env = envelope.build(body, correlation_id=getattr(body, "orderId", None))
    return body.stream, envelope.key_of(body), envelope.dumps(env)


async def _send(
    producer: AIOKafkaProducer, records: Iterable[Record], total: int | None, rate: float
) -> int:
    sent, started, futures = 0, time.monotonic(), []
    for topic, key, value in tqdm(
        records, total=total, unit="msg", desc="simulate", mininterval=0.5
    ):
        futures.append(
            await producer.send(BY_NAME[topic].get_topic_name(), value, key=key.encode())
        )
        sent += 1
        if rate > 0 and (delay := started + sent / rate - time.monotonic()) > 0:
            await asyncio.sleep(delay)
    await asyncio.gather(*futures)
    return sent


def _commands(
    orders: int, seed: int, users: int, corrupt_ratio: float, intents: Counter[str]
) -> Iterable[Record]:
    bad = [
        r.value
        for r in simulation.orders(max(1, orders), seed=seed, corrupt_ratio=1.0)
        if r.corrupt
    ]
    every = round(1 / corrupt_ratio) if corrupt_ratio else 0
    for i, step in enumerate(scenario.orders(orders, seed=seed, users=users)):
        intents[step.intent] += isinstance(step.message, PlaceOrder)
        yield _record(step.message)
        if every and (i + 1) % every == 0:
            intents["corrupt"] += 1
            yield "orders.commands", f"corrupt-{seed}-{i}", bad[i % len(bad)]


@app.command(
    option("--orders", type=int, default=100, help="Orders to place (valid ones)."),
    option("--rate", type=float, default=50.0, help="Messages per second; 0: as fast as it can."),
    option("--seed", type=int, default=1, help="Same seed, same run."),
    option("--corrupt-ratio", type=float, default=0.0, help="Corrupt records per order, 0..1."),
    option("--users", type=int, default=50, help="Distinct customers."),
    option("--via", type=str, default="commands",
           help="commands: register users, stock the catalog, place orders (the saga runs); "
                "events: OrderCreated events straight onto orders.events."),
    option("--settle", type=float, default=5.0, help="Seconds between the setup and the orders."),
)  # fmt: skip
async def simulate(self: AppCommand, orders: int, rate: float, seed: int, corrupt_ratio: float,
                   users: int, via: str, settle: float) -> None:  # fmt: skip
    """Send sample traffic; prints how many orders of each intended outcome were sent."""
    if not 0 <= corrupt_ratio <= 1 or via not in ("commands", "events"):
        raise SystemExit("--corrupt-ratio must be within 0..1 and --via commands or events")
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap_servers(), acks="all", linger_ms=5,
                                enable_idempotence=True)  # fmt: skip
    await producer.start()
    intents: Counter[str] = Counter()
    try:
        if via == "events":
            recs = simulation.orders(orders, seed=seed, corrupt_ratio=corrupt_ratio, users=users)
            total = orders + round(orders * corrupt_ratio)
            sent = await _send(
                producer, (("orders.events", r.key, r.value) for r in recs), total, rate
            )
        else:
            setup = [_record(m) for m in scenario.setup(seed, users)]
            await _send(producer, setup, len(setup), 0)
            await asyncio.sleep(settle)  # let the workers apply customers and catalog first
            records = _commands(orders, seed, users, corrupt_ratio, intents)
            sent = len(setup) + await _send(producer, records, None, rate)
    finally:
        await producer.stop()
    self.say(f"sent {sent} records; orders by intended outcome: {dict(intents) or orders}")
