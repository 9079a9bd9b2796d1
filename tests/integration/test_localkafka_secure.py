"""``python -m localkafka start --secure --nodes 3`` as a user runs it: a secure three-node
cluster, its credentials.json (0600, the documented fields), ``env`` for the app, ``status``,
the app's user seeing all three brokers (and the admin's ACLs applied), ``stop``."""

from __future__ import annotations

import json
import random
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from confluent_kafka.admin import (
    AclBindingFilter,
    AclOperation,
    AclPermissionType,
    AdminClient,
    ResourcePatternType,
    ResourceType,
)

from localkafka.procs import port_free
from tests.support.system import REPO

pytestmark = pytest.mark.integration


def cli(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "localkafka", *args], cwd=REPO,
                          capture_output=True, text=True, timeout=timeout, check=False)  # fmt: skip


def free_base() -> int:
    """A port P with P..P+2 and P+100..P+102 free (the cluster's client and controller ports)."""
    for _ in range(200):
        base = random.randrange(20000, 30000)
        if all(port_free(p) for p in (*range(base, base + 3), *range(base + 100, base + 103))):
            return base
    raise AssertionError("no free port range")


def test_a_secure_three_node_cluster_from_the_command_line(tmp_path: Path) -> None:
    data, port = tmp_path / "cluster", free_base()
    where = ["--nodes", "3", "--port", str(port), "--data", str(data)]
    started = cli("start", "--secure", *where)
    try:
        assert started.returncode == 0, started.stderr
        creds_file = data / "credentials.json"
        assert stat.S_IMODE(creds_file.stat().st_mode) == 0o600
        creds = json.loads(creds_file.read_text())
        assert set(creds) == {"bootstrap", "securityProtocol", "saslMechanism", "caFile",
                              "admin", "app"}  # fmt: skip
        assert (creds["securityProtocol"], creds["saslMechanism"]) == ("SASL_SSL", "SCRAM-SHA-512")
        assert creds["admin"]["password"] != creds["app"]["password"]
        assert len(creds["bootstrap"].split(",")) == 3
        env = dict(line.split("=", 1) for line in cli("env", *where).stdout.splitlines())
        assert env["ORDERS_KAFKA_USERNAME"] == "app" and env["BROKER_URL"].startswith("kafka://")
        assert Path(env["ORDERS_KAFKA_PASSWORD_FILE"]).read_text() == creds["app"]["password"]
        assert "ORDERS_KAFKA_PASSWORD=" not in cli("env", *where).stdout  # the file, not the value
        assert cli("status", *where).returncode == 0
        as_app = {
            "bootstrap.servers": creds["bootstrap"],
            "security.protocol": "SASL_SSL",
            "sasl.mechanism": "SCRAM-SHA-512",
            "sasl.username": "app",
            "sasl.password": creds["app"]["password"],
            "ssl.ca.location": creds["caFile"],
        }
        assert len(AdminClient(as_app).list_topics(timeout=30).brokers) == 3
        as_admin = {**as_app, "sasl.username": "admin", "sasl.password": creds["admin"]["password"]}
        every = AclBindingFilter(ResourceType.ANY, None, ResourcePatternType.ANY, "User:app", None,
                                 AclOperation.ANY, AclPermissionType.ANY)  # fmt: skip
        admin = AdminClient(as_admin)  # kept: a handle collected mid-request is destroyed
        granted = admin.describe_acls(every, request_timeout=30).result(30)
        assert len(granted) > 20  # what faust -A app acls lists
        assert all(b.operation not in (AclOperation.ALTER, AclOperation.DELETE, AclOperation.ALL)
                   for b in granted)  # fmt: skip
    finally:
        stopped = cli("stop", *where)
    assert stopped.returncode == 0 and "stopped" in stopped.stdout
