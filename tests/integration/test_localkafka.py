"""localkafka single node: real clients, stop/restart persistence, error paths and the CLI."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from localkafka import Broker, BrokerError
from localkafka.procs import free_ports
from tests.support.kafka import consume_values, produce_values

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]


async def create_topic(bootstrap: str, name: str) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(name, num_partitions=3, replication_factor=1)])
    finally:
        await admin.close()


def dead(pid: int) -> bool:
    """Gone, or a zombie that init has not reaped yet (the CLI's broker is not our child)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat.rpartition(")")[2].split()[0] in ("Z", "X")


def port_open(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def cli(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    path = os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])
    command = [sys.executable, "-m", "localkafka", *args]
    env = {**os.environ, "PYTHONPATH": path}
    return subprocess.run(
        command, input=stdin, capture_output=True, text=True, env=env, timeout=120
    )


def test_fixture_broker_serves_real_clients(kafka_broker, kafka_bootstrap):
    assert kafka_bootstrap == kafka_broker.bootstrap
    assert kafka_broker.is_running()
    asyncio.run(create_topic(kafka_bootstrap, "lk-created"))
    asyncio.run(produce_values(kafka_bootstrap, "lk-created", [b"one", b"two", b"three"]))
    consumed = asyncio.run(consume_values(kafka_bootstrap, "lk-created", 3, group="lk-group"))
    assert consumed == [b"one", b"three", b"two"]
    # auto.create.topics.enable: producing to an unknown topic creates it
    asyncio.run(produce_values(kafka_bootstrap, "lk-auto", [b"x"]))
    assert asyncio.run(consume_values(kafka_bootstrap, "lk-auto", 1)) == [b"x"]


def test_stop_then_restart_keeps_data_and_logs_to_file(tmp_path):
    broker = Broker.isolated(tmp_path / "node")
    restarted = Broker(port=broker.port, data_dir=broker.data_dir)
    try:
        assert broker.start() == f"127.0.0.1:{broker.port}"
        asyncio.run(produce_values(broker.bootstrap, "lk-persist", [b"a", b"b"]))
        pid = broker.pid()
        assert pid is not None and broker.stop() is True
        assert not broker.is_running()
        assert dead(pid)
        assert not port_open(broker.port)
        assert not broker.pid_file.exists()

        # A fresh object (new controller port) on the same formatted data dir
        assert restarted.start() == broker.bootstrap
        assert asyncio.run(consume_values(restarted.bootstrap, "lk-persist", 2)) == [b"a", b"b"]
    finally:
        broker.stop()
        restarted.stop()
    assert "Kafka Server started" in broker.log_file.read_text()
    assert "INFO" not in broker.out_file.read_text()


def test_kill_is_immediate(tmp_path):
    broker = Broker.isolated(tmp_path)
    broker.start()
    pid = broker.pid()
    assert pid is not None
    broker.kill()
    assert not broker.is_running()
    assert dead(pid)


def test_start_refuses_a_port_in_use(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(BrokerError, match=f"port {port} is already in use"):
            Broker(port=port, data_dir=tmp_path / "api").start()
        result = cli("start", "--port", str(port), "--data", str(tmp_path / "cli"))
    assert result.returncode == 1
    assert f"port {port} is already in use" in result.stderr
    assert result.stdout == ""


def test_start_error_carries_the_logs_when_java_exits(tmp_path):
    broker = Broker.isolated(tmp_path, heap_mb=1)  # the JVM refuses to boot with a 1 MB heap
    with pytest.raises(BrokerError, match=r"(?s)exited \(code [1-9].*heap"):
        broker.start(timeout=30)
    assert not broker.is_running()


def test_cli_start_reuse_status_tools_stop(tmp_path):
    port = free_ports(1)[0]
    data = str(tmp_path / "cli")
    where = ["--port", str(port), "--data", data]
    bootstrap = f"127.0.0.1:{port}"
    try:
        first = cli("start", *where)
        assert (first.returncode, first.stdout) == (0, f"{bootstrap}\n"), first.stderr
        pid = int(Path(data, "broker.pid").read_text())
        again = cli("start", *where)
        assert (again.returncode, again.stdout) == (0, f"{bootstrap}\n"), again.stderr
        assert int(Path(data, "broker.pid").read_text()) == pid

        status = cli("status", *where)
        assert (status.returncode, status.stdout) == (0, f"running {bootstrap} pid {pid}\n")
        check_tool_passthrough(bootstrap)

        stopped = cli("stop", *where)
        assert stopped.returncode == 0 and "stopped" in stopped.stdout
        assert dead(pid) and not port_open(port)
        status = cli("status", *where)
        assert (status.returncode, status.stdout) == (1, "not running\n")
        again = cli("stop", *where)
        assert again.returncode == 0 and "not running" in again.stdout
    finally:
        Broker(port=port, data_dir=data).stop()


def check_tool_passthrough(bootstrap: str) -> None:
    os.environ["LOCALKAFKA_BOOTSTRAP"] = bootstrap  # the CLI adds --bootstrap-server from it
    try:
        assert cli("topics", "--create", "--topic", "lk-cli").returncode == 0
        listed = cli("topics", "--list")
        assert listed.returncode == 0 and "lk-cli" in listed.stdout.split()
        missing = cli("topics", "--describe", "--topic", "lk-missing")
        assert missing.returncode != 0, "the tool's exit code is passed through"
    finally:
        del os.environ["LOCALKAFKA_BOOTSTRAP"]
    server = ["--bootstrap-server", bootstrap, "--topic", "lk-cli"]
    assert cli("console-producer", *server, stdin="hello\nworld\n").returncode == 0
    consumed = cli("console-consumer", *server, "--from-beginning", "--max-messages", "2")
    assert consumed.returncode == 0
    assert sorted(consumed.stdout.split()) == ["hello", "world"]


def test_cli_reuses_any_broker_answering_on_the_port(kafka_bootstrap, tmp_path):
    # Given a broker started elsewhere (the suite's own), When start/status name its port with
    # another data folder, Then they reuse it instead of failing on a port in use
    port = kafka_bootstrap.rsplit(":", 1)[1]
    where = ["--port", port, "--data", str(tmp_path / "elsewhere")]
    started = cli("start", *where)
    assert (started.returncode, started.stdout) == (0, f"127.0.0.1:{port}\n"), started.stderr
    status = cli("status", *where)
    assert status.returncode == 0 and status.stdout.startswith(f"running 127.0.0.1:{port}")
    assert not (tmp_path / "elsewhere" / "broker.pid").exists()
