"""server.properties and JVM options for a combined KRaft node tuned for local tests."""

from __future__ import annotations

import base64
import uuid
from typing import TYPE_CHECKING

from localkafka import jars
from localkafka.procs import HOST

if TYPE_CHECKING:
    from localkafka.broker import Broker


def new_cluster_id() -> str:
    """A KRaft cluster id: a random UUID in unpadded base64url, like `kafka-storage random-uuid`.

    Like Kafka's own Uuid.randomUuid(), never one starting with "-": the tools would read it as an
    option (this made one start in ~30 fail with "--cluster-id: expected one argument").
    """
    while True:
        cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).rstrip(b"=").decode()
        if not cluster_id.startswith("-"):
            return cluster_id


def server_properties(node: Broker) -> str:
    """Properties text; topics get `node.replication` replicas and a min ISR of one less."""
    replication = node.replication
    min_isr = max(1, replication - 1)
    settings = {
        "node.id": node.node_id,
        "process.roles": "broker,controller",
        "listeners": f"PLAINTEXT://{HOST}:{node.port},CONTROLLER://{HOST}:{node.controller_port}",
        "advertised.listeners": f"PLAINTEXT://{HOST}:{node.port}",
        "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
        "controller.listener.names": "CONTROLLER",
        "inter.broker.listener.name": "PLAINTEXT",
        # A static voter set (not --standalone's dynamic one) lets the controller port change.
        "controller.quorum.voters": node.voters,
        "log.dirs": node.log_dirs,
        "num.partitions": 3,
        "auto.create.topics.enable": "true",
        "group.initial.rebalance.delay.ms": 0,
        "default.replication.factor": replication,
        "min.insync.replicas": min_isr,
        "offsets.topic.replication.factor": replication,
        "offsets.topic.num.partitions": 10,  # the default 50 makes the first group join slow
        "transaction.state.log.replication.factor": replication,
        "transaction.state.log.min.isr": min_isr,
        "transaction.state.log.num.partitions": 10,
        "share.coordinator.state.topic.replication.factor": replication,
        "share.coordinator.state.topic.min.isr": min_isr,
    }
    if node.secure is not None:
        settings |= node.secure.properties(HOST, node.port, node.controller_port)
    return "".join(f"{key}={value}\n" for key, value in settings.items())


def jvm_options(node: Broker) -> tuple[str, ...]:
    """Modest heap; log4j2 writes <data_dir>/kafka.log (see log4j2.properties)."""
    return (
        f"-Xmx{node.heap_mb}m",
        f"-Xms{node.heap_mb // 2}m",
        "-XX:+UseG1GC",
        "-XX:MaxGCPauseMillis=20",
        "-Djava.awt.headless=true",
        f"-Dkafka.logs.dir={node.data_dir}",
        f"-Dlog4j2.configurationFile={jars.BROKER_LOG_CONFIG}",
    )
