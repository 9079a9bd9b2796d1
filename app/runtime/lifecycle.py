"""Health log of a worker: start, stop, rebalances, recovery, and rates every few seconds."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import mode

from app.application import app
from app.observability import logs
from app.runtime import garbage, performance
from app.settings import settings


def _paths() -> tuple[Path, Path]:
    datadir = Path(app.conf.datadir)
    return (
        settings.audit_log or datadir / "audit.jsonl",
        settings.health_log or datadir / "health.jsonl",
    )


def _tps(tps: Any) -> list[str]:
    return sorted(f"{tp.topic}/{tp.partition}" for tp in tps)


@app.on_worker_init.connect  # type: ignore[arg-type]  # mode's SignalHandlerT fits no function
def open_logs(sender: Any, **kwargs: Any) -> None:
    logs.configure(*_paths())


@app.on_partitions_assigned.connect  # type: ignore[arg-type]
async def log_assigned(sender: Any, assigned: Any, **kwargs: Any) -> None:
    logs.health("partitions_assigned", partitions=_tps(assigned))


@app.on_partitions_revoked.connect  # type: ignore[arg-type]
async def log_revoked(sender: Any, revoked: Any, **kwargs: Any) -> None:
    logs.health("partitions_revoked", partitions=_tps(revoked))


@app.on_rebalance_complete.connect  # type: ignore[arg-type]
async def log_recovered(sender: Any, **kwargs: Any) -> None:
    logs.health("recovery_done", assigned=_tps(app.consumer.assignment()))


@app.service
class HealthReporter(mode.Service):
    """Writes the lifecycle lines and, every ``ORDERS_HEALTH_INTERVAL`` s, the rates."""

    async def on_started(self) -> None:
        performance.restore_log_level()  # after the worker has set up logging
        audit, health = _paths()
        logs.health(
            "start",
            worker=str(app.conf.canonical_url),
            audit=str(audit),
            healthLog=str(health),
            group=app.conf.id,
            loop=type(asyncio.get_running_loop()).__module__,
        )
        # started and recovered: what is alive now lives as long as the worker
        logs.health("gc_frozen", objects=garbage.freeze(), threshold=settings.gc_threshold)

    async def on_stop(self) -> None:
        logs.health("stop", totals=dict(logs.counters.counts))

    @mode.Service.task
    async def _report(self) -> None:
        while not self.should_stop:
            await self.sleep(settings.health_interval)
            logs.health("metrics", **logs.counters.rates())
