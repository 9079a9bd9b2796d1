"""``faust -A app simulate``: sample traffic, through the commands (the saga runs) or as events.

Through the commands it honours the edge's admission control as an HTTP client honours a 429: an
order the edge would refuse (``domain.admission``, on the backlog it samples like a worker does)
is held back for the Retry-After, then offered again; ``--ignore-backlog`` sends regardless."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Iterable

from aiokafka import AIOKafkaProducer
from faust.cli import AppCommand, option
from tqdm import tqdm

from app.adapters.kafka import bootstrap_servers
from app.adapters.kafka_auth import aiokafka_options
from app.adapters.lag import GroupLag, order_path
from app.application import app
from app.settings import settings
from app.topics import BY_NAME
from domain import envelope, scenario, simulation
from domain.admission import Path, admit, ahead
from domain.messages import Message, PlaceOrder

Record = tuple[str, str, bytes, Path | None]  # logical topic, key, value, an order's path


def _record(body: Message) -> Record:
    env = envelope.build(body, correlation_id=getattr(body, "orderId", None))
    path = None
    if isinstance(body, PlaceOrder):
        path = order_path(body.userId, body.orderId, (i.sku for i in body.items))
    return body.stream, envelope.key_of(body), envelope.dumps(env), path


class Gate:
    """Holds an order back while the edge would refuse it; counts the holds and their seconds."""

    def __init__(self, lag: GroupLag | None) -> None:
        self.lag, self.held, self.seconds = lag, 0, 0.0
        self.stopped = False

    async def run(self) -> None:
        """Sample until ``stopped``: a flag, not only a cancel (Python 3.11's ``wait_for`` can
        swallow a cancel that meets its result, and a loop on it alone then runs for ever: a
        simulator hung so after its last order in one ``make test`` run)."""
        while self.lag is not None and not self.stopped:
            await self.lag.sample()
            await asyncio.sleep(settings.admission_interval)

    async def wait(self, path: Path | None) -> bool:
        """True when the order had to wait."""
        waited = False
        while path is not None and self.lag is not None and self.lag.backlog:
            refusal = admit(ahead(self.lag.backlog, path), settings.admission_budget())
            if refusal is None:
                break
            self.held += not waited
            waited = True
            self.seconds += refusal.retry_after
            await asyncio.sleep(refusal.retry_after)
        return waited


async def _send(producer: AIOKafkaProducer, records: Iterable[Record], total: int | None,
                rate: float, gate: Gate | None = None) -> int:  # fmt: skip
    sent, started, futures = 0, time.monotonic(), []
    for topic, key, value, path in tqdm(
        records, total=total, unit="msg", desc="simulate", mininterval=0.5
    ):
        if gate is not None and await gate.wait(path):  # the pace starts again after a hold
            started = time.monotonic() - sent / rate if rate > 0 else started
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
            yield "orders.commands", f"corrupt-{seed}-{i}", bad[i % len(bad)], None


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
    option("--ignore-backlog", is_flag=True, default=False,
           help="Send every order at once even when the edge would refuse it (429)."),
)  # fmt: skip
async def simulate(self: AppCommand, orders: int, rate: float, seed: int, corrupt_ratio: float,
                   users: int, via: str, settle: float, ignore_backlog: bool) -> None:  # fmt: skip
    """Send sample traffic; prints how many orders of each intended outcome were sent."""
    if not 0 <= corrupt_ratio <= 1 or via not in ("commands", "events"):
        raise SystemExit("--corrupt-ratio must be within 0..1 and --via commands or events")
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap_servers(), acks="all", linger_ms=5,
                                **aiokafka_options(),
                                enable_idempotence=True)  # fmt: skip
    await producer.start()
    intents: Counter[str] = Counter()
    gate = Gate(None)
    try:
        if via == "events":
            recs = simulation.orders(orders, seed=seed, corrupt_ratio=corrupt_ratio, users=users)
            total = orders + round(orders * corrupt_ratio)
            sent = await _send(
                producer, (("orders.events", r.key, r.value, None) for r in recs), total, rate
            )
        else:
            setup = [_record(m) for m in scenario.setup(seed, users)]
            await _send(producer, setup, len(setup), 0)
            await asyncio.sleep(settle)  # let the workers apply customers and catalog first
            records = _commands(orders, seed, users, corrupt_ratio, intents)
            gate = Gate(None if ignore_backlog else _group_lag())
            sent = len(setup) + await _gated(producer, records, rate, gate)
    finally:
        await producer.stop()
    self.say(f"sent {sent} records; orders by intended outcome: {dict(intents) or orders}")
    if via == "commands" and gate.held:
        self.say(f"held back by the backlog (429 at the edge): {gate.held} orders, "
                 f"{gate.seconds:g} s of Retry-After in all")  # fmt: skip


def _group_lag() -> GroupLag | None:
    if settings.admission_budget() <= 0:
        return None
    return GroupLag(bootstrap_servers(), settings.app_id, settings.admission_window)


async def _gated(
    producer: AIOKafkaProducer, records: Iterable[Record], rate: float, gate: Gate
) -> int:
    """Send ``records``, each order once the gate lets it through."""
    sampler = asyncio.create_task(gate.run())
    try:
        return await _send(producer, records, None, rate, gate)
    finally:
        gate.stopped = True
        sampler.cancel()
        await asyncio.gather(sampler, return_exceptions=True)
        if gate.lag is not None:
            await gate.lag.close()
