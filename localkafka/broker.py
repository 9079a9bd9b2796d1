"""One Kafka 4.1 KRaft node (combined broker and controller) run as a java child process."""

from __future__ import annotations

import atexit
import logging
import signal
import struct
import subprocess
import time
from pathlib import Path
from typing import Any

from localkafka import config, jars, procs
from localkafka.config import new_cluster_id
from localkafka.probe import metadata
from localkafka.secure import Secure, cluster_view

log = logging.getLogger("localkafka")


class BrokerError(RuntimeError):
    """The broker could not be started, with the reason and the tail of its logs."""


class Broker:
    """A KRaft node; data, config, pid file and kafka.log all live in `data_dir`.

    `controller_port=None` picks a free port each time a Broker object is made: with a static
    `controller.quorum.voters` quorum the controller endpoint may change between restarts.
    """

    def __init__(
        self,
        port: int = 9092,
        controller_port: int | None = None,
        data_dir: str | Path | None = None,
        node_id: int = 1,
        *,
        voters: str | None = None,
        cluster_id: str | None = None,
        replication: int = 1,
        heap_mb: int = 512,
        secure: Secure | None = None,
    ) -> None:
        self.port = port
        self.controller_port = controller_port or procs.free_ports(1)[0]
        self.data_dir = Path(data_dir or jars.home() / f"data-{port}").resolve()
        self.node_id = node_id
        self.voters = voters or f"{node_id}@{procs.HOST}:{self.controller_port}"
        self.cluster_id = cluster_id or new_cluster_id()
        self.replication = replication
        self.heap_mb = heap_mb
        self.secure = secure  # SASL_SSL, SCRAM users and ACLs (localkafka.secure)
        self.log_dirs = self.data_dir / "logs"
        self.properties_file = self.data_dir / "server.properties"
        self.log_file = self.data_dir / "kafka.log"
        self.out_file = self.data_dir / "broker.out"
        self.pid_file = self.data_dir / "broker.pid"
        self._proc: subprocess.Popen[bytes] | None = None
        self._atexit_registered = False

    @classmethod
    def isolated(cls, tmpdir: str | Path, **kwargs: Any) -> Broker:
        """A broker on free ports with its data in `tmpdir`."""
        port, controller_port = procs.free_ports(2)
        return cls(port=port, controller_port=controller_port, data_dir=tmpdir, **kwargs)

    @property
    def bootstrap(self) -> str:
        return f"{procs.HOST}:{self.port}"

    def __enter__(self) -> Broker:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self, timeout: float = 60, detach: bool = False) -> str:
        """Format if needed, launch, wait until clients are served; returns the bootstrap address.

        `detach=True` lets the broker outlive this Python process (the CLI uses it); otherwise
        it is killed at interpreter exit if still running.
        """
        launched = self.launch(detach)
        try:
            return self.wait_ready(timeout)
        except BaseException:
            if launched:  # a broker we merely found running is not ours to kill
                self.kill()
            raise

    def launch(self, detach: bool = False) -> bool:
        """Start java without waiting (a quorum needs every node up); False if already running."""
        if self.is_running():
            return False
        for port in (self.port, self.controller_port):
            if not procs.port_free(port):
                raise BrokerError(f"port {port} is already in use by another process")
        self._prepare()
        cmd = jars.java_command(
            "kafka.Kafka", str(self.properties_file), jvm_opts=config.jvm_options(self)
        )
        # Own session: a Ctrl-C in the launching terminal must not take the broker down with it.
        with open(self.out_file, "ab") as out:
            self._proc = subprocess.Popen(
                cmd,
                cwd=self.data_dir,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=out,
                start_new_session=True,
            )
        self.pid_file.write_text(f"{self._proc.pid}\n")
        log.info(
            "started Kafka node %d (pid %d) in %s", self.node_id, self._proc.pid, self.data_dir
        )
        if not detach and not self._atexit_registered:
            atexit.register(self.kill)
            self._atexit_registered = True
        return True

    def wait_ready(self, timeout: float = 60, brokers: int = 1) -> str:
        """Block until this node answers Metadata requests and sees at least `brokers` brokers."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.is_running():
                code = self._proc.poll() if self._proc else None
                raise BrokerError(f"Kafka node {self.node_id} exited (code {code})\n{self._logs()}")
            if self._serves(brokers):
                return self.bootstrap
            time.sleep(0.1)
        raise BrokerError(f"{self.bootstrap} not ready after {timeout}s\n{self._logs()}")

    def _serves(self, brokers: int) -> bool:
        if self.secure is not None:
            try:
                ids, controller = cluster_view(
                    self.bootstrap, self.secure.client_config(self.bootstrap)
                )
            except Exception:  # not up yet: librdkafka's KafkaException
                return False
            return self.node_id in ids and len(ids) >= brokers and controller >= 0
        try:
            view = metadata(procs.HOST, self.port, timeout=2)
        except (OSError, struct.error):
            return False  # not listening yet, or closed the connection mid-startup
        registered = self.node_id in view.broker_ids and len(view.broker_ids) >= brokers
        return registered and view.controller_id >= 0

    def pid(self) -> int | None:
        """Pid of the running java process, whether this object or another process started it."""
        if self._proc is not None and self._proc.poll() is None:
            return self._proc.pid
        try:
            pid = int(self.pid_file.read_text())
        except (OSError, ValueError):
            return None
        return pid if procs.kafka_alive(pid, self.properties_file) else None

    def is_running(self) -> bool:
        return self.pid() is not None

    def stop(self, timeout: float = 30) -> bool:
        """SIGTERM, wait up to `timeout`, then SIGKILL. Returns False if nothing was running."""
        pid = self.pid()
        if pid is None:
            self.pid_file.unlink(missing_ok=True)
            return False
        procs.signal_pid(pid, signal.SIGTERM)
        if not self._wait_gone(pid, timeout):
            log.warning("Kafka node %d ignored SIGTERM for %ss; killing it", self.node_id, timeout)
            self.kill()
        self.pid_file.unlink(missing_ok=True)
        return True

    def kill(self) -> None:
        """SIGKILL, as a crash would (for fault tests)."""
        pid = self.pid()
        if pid is not None:
            procs.signal_pid(pid, signal.SIGKILL)
            self._wait_gone(pid, 10)
        self.pid_file.unlink(missing_ok=True)

    def _wait_gone(self, pid: int, timeout: float) -> bool:
        if self._proc is not None and self._proc.pid == pid:
            try:
                self._proc.wait(timeout)  # also reaps our own child
                return True
            except subprocess.TimeoutExpired:
                return False
        return procs.wait_gone(pid, self.properties_file, timeout)

    def _prepare(self) -> None:
        """Write server.properties (every start) and format the log dir (first start only)."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.properties_file.touch(mode=0o600)  # it holds the secure cluster's passwords
        self.properties_file.write_text(config.server_properties(self))
        if (self.log_dirs / "meta.properties").exists():
            return
        args = ["format", "--cluster-id", self.cluster_id, "--config", str(self.properties_file)]
        if self.secure is not None:
            args += self.secure.format_args()
        cmd = jars.tool_command("kafka.tools.StorageTool", *args)
        result = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        if result.returncode != 0:
            raise BrokerError(f"kafka-storage format failed in {self.data_dir}:\n{result.stdout}")

    def _logs(self) -> str:
        return (
            f"--- {self.log_file} (tail) ---\n{procs.tail(self.log_file)}\n"
            f"--- {self.out_file} (tail) ---\n{procs.tail(self.out_file, 15)}"
        )
