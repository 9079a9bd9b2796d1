"""The same job on every engine, each reading the same backlog into its own output topic."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import orjson
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from bench.kafka import options
from bench.measure import Offsets, Run, create_topics, until_written
from bench.workload import expected, orders

REPO = Path(__file__).resolve().parents[1]

PY = sys.executable
# name: (argv, environment); {b} bootstrap, {i} input, {o} output, {g} group, {d} a folder
JOBS: dict[str, tuple[list[str], dict[str, str]]] = {
    "raw_forward": ([PY, "-m", "bench.raw_jobs", "forward", "{b}", "{i}", "{o}", "{g}"], {}),
    "raw_stateful": ([PY, "-m", "bench.raw_jobs", "stateful", "{b}", "{i}", "{o}", "{g}"], {}),
    "quix_stateful": ([PY, "-m", "bench.quix_job", "{b}", "{i}", "{o}", "{g}", "{d}"], {}),
}
for _variant in ("defaults", "ours"):
    for _job in ("forward", "stateful"):
        JOBS[f"faust_{_job}_{_variant}"] = (
            [PY, "-m", "faust", "-A", "bench.faust_jobs", "--datadir", "{d}", "worker",
             "-l", "warn"],
            {"BENCH_JOB": _job, "BENCH_VARIANT": _variant, "BENCH_INPUT": "{i}",
             "BENCH_OUTPUT": "{o}", "BENCH_GROUP": "{g}", "BROKER_URL": "kafka://{b}",
             **({"FAUST_LOOP": "uvloop"} if _variant == "ours" else {})},
        )  # fmt: skip


async def produce_backlog(bootstrap: str, topic: str, count: int) -> None:
    producer = AIOKafkaProducer(**options(), bootstrap_servers=bootstrap, acks="all", linger_ms=20,
                                max_batch_size=256 * 1024)  # fmt: skip
    await producer.start()
    try:
        futures = [await producer.send(topic, v, key=k) for k, v in orders(count)]
        await asyncio.gather(*futures)
    finally:
        await producer.stop()


async def verify(bootstrap: str, sink: str, count: int, job: str) -> bool:
    """The job did the work: per key, as many output records as input ones, and the last one is
    what the workload implies (the same orders, in each key's order, with the same totals)."""
    consumer = AIOKafkaConsumer(sink, **options(), bootstrap_servers=bootstrap, group_id=None,
                                auto_offset_reset="earliest")  # fmt: skip
    await consumer.start()
    last: dict[bytes, tuple[int, Any]] = {}
    seen = 0
    try:
        while seen < count:
            batch = await consumer.getmany(timeout_ms=2000, max_records=20_000)
            if not batch:
                return False
            for records in batch.values():
                for rec in records:
                    last[rec.key] = (last.get(rec.key, (0, None))[0] + 1, orjson.loads(rec.value))
                    seen += 1
    finally:
        await consumer.stop()
    return last == expected(count, job)


async def run_job(name: str, bootstrap: str, source: str, count: int, work: Path,
                  timeout: float, profile: bool = False) -> Run:  # fmt: skip
    """Run one job over the backlog; with ``profile`` under py-spy (``<work>/<name>.folded``)."""
    tag = f"{name}-{uuid.uuid4().hex[:6]}"
    sink, folder = f"bench.out.{tag}", work / tag
    folder.mkdir(parents=True)
    await create_topics(bootstrap, [sink])
    fill = {"b": bootstrap, "i": source, "o": sink, "g": f"bench-{tag}", "d": str(folder)}
    argv, env = JOBS[name]
    log = (work / f"{tag}.log").open("wb")
    cmd = [a.format(**fill) for a in argv]
    if profile:
        spy = str(Path(sys.executable).parent / "py-spy")
        out = str(work / f"{name}.folded")
        cmd = [spy, "record", "-r", "250", "--format", "raw", "-o", out, "--", *cmd]
    proc = subprocess.Popen(
        cmd,
        env={**os.environ, **{k: v.format(**fill) for k, v in env.items()}},
        cwd=REPO, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip

    def alive() -> None:
        if proc.poll() is not None:
            raise RuntimeError(f"{name} exited with {proc.returncode}; see {log.name}")
        log.flush()
        if b"Crashed reason=" in Path(log.name).read_bytes()[-20000:]:  # a Faust agent died
            raise RuntimeError(f"{name} crashed; see {log.name}")

    offsets = Offsets(bootstrap, [sink])
    await offsets.start()
    try:
        run = await until_written(offsets, count, [proc.pid], timeout, alive)
        run.verified = await verify(
            bootstrap, sink, count, "stateful" if "stateful" in name else "forward"
        )
        return run
    finally:
        await offsets.stop()
        if profile and proc.poll() is None:
            proc.send_signal(signal.SIGINT)  # py-spy writes its flame graph and stops the job
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(30)
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        log.close()
