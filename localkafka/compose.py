"""The secrets of docker-compose.yaml's ``secure`` profile: ``python -m localkafka compose-secrets
--dir /secrets --hosts kafka-s1,kafka-s2,kafka-s3``, run once by its ``secure-setup`` job.

It writes what ``--secure`` makes locally (``localkafka.secure``: the CA, the brokers'
certificate, now also for the containers' host names, the admin, app and controller passwords,
``credentials.json``) and, for the apache/kafka containers, each node's ``node-N.properties``, a
``start-node.sh`` that formats the node's storage with the SCRAM users and starts it, an
``admin.properties`` for their health check, the app's password file and API keys. Every file is
0600 and owned by ``--uid`` (the Kafka image's and the worker image's user, 1000)."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from localkafka.config import new_cluster_id
from localkafka.secure import MECHANISM, PROTOCOL, Secure, private

CLIENT_PORT, CONTROLLER_PORT = 9092, 9093
START = """#!/bin/bash
# Format this node's storage once, with the SCRAM users, then run it (written by localkafka).
set -euo pipefail
n="$1"
/opt/kafka/bin/kafka-storage.sh format --ignore-formatted \\
  --cluster-id "$(cat /secrets/cluster-id)" --config "/secrets/node-$n.properties" \\
  --add-scram "{mechanism}=[name=admin,password=$(cat /secrets/admin.password)]" \\
  --add-scram "{mechanism}=[name=app,password=$(cat /secrets/app.password)]"
exec /opt/kafka/bin/kafka-server-start.sh "/secrets/node-$n.properties"
"""


def write(folder: Path, hosts: list[str], uid: int | None = None) -> Secure:
    """Everything the secure profile's containers read, in ``folder`` (kept if already there)."""
    secure = Secure.ensure(folder, hosts=tuple(hosts))
    bootstrap = ",".join(f"{h}:{CLIENT_PORT}" for h in hosts)
    secure.write_credentials(bootstrap)
    voters = ",".join(f"{i}@{h}:{CONTROLLER_PORT}" for i, h in enumerate(hosts, 1))
    replication = min(len(hosts), 3)
    for node, host in enumerate(hosts, 1):
        settings = {
            "node.id": node,
            "process.roles": "broker,controller",
            "controller.listener.names": "CONTROLLER",
            "controller.quorum.voters": voters,
            "log.dirs": "/var/lib/kafka/data",
            "num.partitions": 3,
            "default.replication.factor": replication,
            "min.insync.replicas": max(1, replication - 1),
            "offsets.topic.replication.factor": replication,
            "transaction.state.log.replication.factor": replication,
            "transaction.state.log.min.isr": max(1, replication - 1),
            "group.initial.rebalance.delay.ms": 0,
            **secure.properties(host, CLIENT_PORT, CONTROLLER_PORT),
            "listeners": f"CLIENT://:{CLIENT_PORT},CONTROLLER://:{CONTROLLER_PORT}",  # any address
        }
        text = "".join(f"{key}={value}\n" for key, value in settings.items())
        private(folder / f"node-{node}.properties", text)
    if not (folder / "cluster-id").exists():
        private(folder / "cluster-id", new_cluster_id())
    private(folder / "start-node.sh", START.format(mechanism=MECHANISM))
    private(folder / "admin.password", secure.admin.password)
    private(folder / "app.password", secure.app.password)
    scram = "org.apache.kafka.common.security.scram.ScramLoginModule"
    private(folder / "admin.properties", (
        f"security.protocol={PROTOCOL}\nsasl.mechanism={MECHANISM}\n"
        f'sasl.jaas.config={scram} required username="admin" password="{secure.admin.password}";\n'
        f"ssl.truststore.type=PEM\nssl.truststore.location={secure.ca_file}\n"
    ))  # fmt: skip
    keys = folder / "api-keys"
    if not keys.exists():
        private(keys, f"write:{secrets.token_urlsafe(24)}\nadmin:{secrets.token_urlsafe(24)}\n")
    if uid is not None:
        for path in [folder, *folder.rglob("*")]:
            os.chown(path, uid, uid)
    return secure
