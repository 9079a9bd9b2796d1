"""What the agents would have sent to Kafka, kept in memory, and fed to the agents that read it."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

import orjson

from app.runtime import intake


def acked() -> asyncio.Future[None]:
    """A send's ack future, acknowledged already."""
    done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
    done.set_result(None)
    return done


async def released() -> None:
    """Wait for the events the agents hold until their table writes are acknowledged
    (``app.runtime.outbox``)."""
    releases = [task for lane in intake._lanes.values() for task in lane.pending]
    if releases:
        await asyncio.wait(releases)


@dataclass(frozen=True)
class Sent:
    topic: str
    key: bytes
    value: bytes
    headers: dict[str, bytes] | None

    @property
    def event_type(self) -> str:
        return str(orjson.loads(self.value)["eventType"])


@dataclass
class Shop:
    contexts: dict[str, Any]
    wire: list[Sent]
    user: str
    sku: str

    async def deliver(self, until: str) -> list[Sent]:
        """Feed every captured record, headers included as aiokafka delivers them (a list of
        (str, bytes)), to the agent reading its topic, until ``until`` has been sent."""
        delivered: list[Sent] = []
        while self.wire and not any(s.event_type == until for s in delivered):
            record = self.wire.pop(0)
            delivered.append(record)
            if record.topic in self.contexts:
                headers = list((record.headers or {}).items())
                await self.contexts[record.topic].put(
                    key=record.key, value=record.value, headers=headers
                )
            await released()
        return delivered
