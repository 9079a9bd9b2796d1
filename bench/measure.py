"""What the benchmark reads from outside: topic end offsets, and a process's CPU and peak RSS."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Callable
from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.structs import TopicPartition

from bench.kafka import options

TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU of ``pid`` and its reaped children."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return sum(int(f) for f in fields[11:15]) / TICKS


def machine_jiffies() -> tuple[int, int]:
    """(busy, total) CPU time of the whole machine so far, from /proc/stat."""
    with open("/proc/stat") as stat:
        fields = [int(f) for f in stat.readline().split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    return sum(fields) - idle, sum(fields)


def peak_rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return 0.0


async def create_topics(bootstrap: str, names: list[str], partitions: int = 3) -> None:
    admin = AIOKafkaAdminClient(**options(), bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_topics(
            [NewTopic(n, num_partitions=partitions, replication_factor=1) for n in names]
        )
    finally:
        await admin.close()


@dataclass
class Offsets:
    """Sums of end offsets of a set of topics, read without joining any group."""

    bootstrap: str
    topics: list[str]
    consumer: AIOKafkaConsumer | None = None
    partitions: list[TopicPartition] | None = None

    async def start(self) -> None:
        self.consumer = AIOKafkaConsumer(
            **options(), bootstrap_servers=self.bootstrap, group_id=None
        )
        await self.consumer.start()
        self.partitions = []
        for topic in self.topics:
            for _ in range(100):
                parts = self.consumer.partitions_for_topic(topic)
                if parts:
                    break
                await self.consumer._client.force_metadata_update()
                await asyncio.sleep(0.1)
            self.partitions += [TopicPartition(topic, p) for p in sorted(parts or ())]

    async def total(self) -> int:
        assert self.consumer is not None and self.partitions is not None
        return sum((await self.consumer.end_offsets(self.partitions)).values())

    async def stop(self) -> None:
        if self.consumer is not None:
            await self.consumer.stop()


@dataclass
class Run:
    messages: int
    seconds: float
    cpu_seconds: float = 0.0
    peak_rss_mb: float = 0.0
    verified: bool | None = None  # the output checked against what the input implies

    @property
    def rate(self) -> float:
        return self.messages / self.seconds if self.seconds > 0 else 0.0


async def until_written(
    offsets: Offsets, target: int, pids: list[int], timeout: float, alive: Callable[[], None]
) -> Run:
    """Wait until ``target`` records are in the watched topics; the rate counts from the first
    record seen (so start-up and group joins are left out), CPU over the same span."""
    deadline = time.monotonic() + timeout
    first: tuple[float, int, float] | None = None
    while time.monotonic() < deadline:
        alive()
        now, count = time.monotonic(), await offsets.total()
        if first is None and count > 0:
            first = (now, count, sum(cpu_seconds(p) for p in pids))
        if count >= target and first is not None:
            t0, c0, cpu0 = first
            return Run(
                messages=count - c0,
                seconds=now - t0,
                cpu_seconds=sum(cpu_seconds(p) for p in pids) - cpu0,
                peak_rss_mb=max(peak_rss_mb(p) for p in pids),
            )
        await asyncio.sleep(0.05)
    raise TimeoutError(f"only {await offsets.total()} of {target} records after {timeout}s")
