"""A multi-node KRaft cluster on localhost: every node is a combined controller and broker."""

from __future__ import annotations

import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from localkafka import procs
from localkafka.broker import Broker
from localkafka.config import new_cluster_id
from localkafka.secure import Secure


class Cluster:
    """`size` nodes sharing a static voter set and cluster id; nodes are 0..size-1. On free ports,
    or, given `port`, clients on port..port+size-1 and controllers on port+100.. (the same on
    every start, so a cluster in `base_dir` can be stopped and started again)."""

    def __init__(
        self,
        size: int = 3,
        base_dir: str | Path | None = None,
        heap_mb: int = 384,
        port: int | None = None,
        secure: Secure | None = None,
    ) -> None:
        base = Path(base_dir) if base_dir else Path(tempfile.mkdtemp(prefix="localkafka-cluster-"))
        self.base_dir = base
        if port is None:
            ports = procs.free_ports(2 * size)
        else:
            ports = [port + i for i in range(size)] + [port + 100 + i for i in range(size)]
        voters = ",".join(f"{i + 1}@{procs.HOST}:{ports[size + i]}" for i in range(size))
        cluster_id = new_cluster_id()
        self.nodes = [
            Broker(
                port=ports[i],
                controller_port=ports[size + i],
                data_dir=base / f"node-{i}",
                node_id=i + 1,
                voters=voters,
                cluster_id=cluster_id,
                replication=min(size, 3),
                heap_mb=heap_mb,
                secure=secure,
            )
            for i in range(size)
        ]

    @property
    def bootstrap(self) -> str:
        return ",".join(node.bootstrap for node in self.nodes)

    def __enter__(self) -> Cluster:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop_all()

    def start(self, node: int | None = None, timeout: float = 90, detach: bool = False) -> str:
        """Start one node or all; returns the full bootstrap once the started ones serve clients."""
        targets = self.nodes if node is None else [self.nodes[node]]
        deadline = time.monotonic() + timeout
        launched: list[Broker] = []
        try:
            # Launch all before waiting on any: no controller is elected until a majority runs.
            for broker in targets:
                if broker.launch(detach):
                    launched.append(broker)
            running = sum(broker.is_running() for broker in self.nodes)
            for broker in targets:
                broker.wait_ready(max(deadline - time.monotonic(), 1), brokers=running)
        except BaseException:
            for broker in launched:
                broker.kill()
            raise
        return self.bootstrap

    def is_running(self) -> bool:
        return any(broker.is_running() for broker in self.nodes)

    def stop(self, node: int, timeout: float = 30) -> None:
        self.nodes[node].stop(timeout)

    def kill(self, node: int) -> None:
        self.nodes[node].kill()

    def stop_all(self, timeout: float = 30) -> None:
        # In parallel: without a quorum each node spends ~5 s on its Raft shutdown; pay that once.
        with ThreadPoolExecutor(len(self.nodes)) as pool:
            list(pool.map(lambda broker: broker.stop(timeout), self.nodes))
