"""`python -m localkafka start|stop|status` for a detached dev broker, plus Kafka tools."""

from __future__ import annotations

import argparse
import logging
import os
import subprocess
import sys

from localkafka import jars, secure_cli
from localkafka.broker import Broker, BrokerError
from localkafka.cluster import Cluster
from localkafka.probe import answers
from localkafka.secure import Secure, cluster_view
from localkafka.secure_cli import folder_of, secure_of, secured

TOOLS = {
    "topics": "org.apache.kafka.tools.TopicCommand",
    "console-consumer": "org.apache.kafka.tools.consumer.ConsoleConsumer",
    "console-producer": "org.apache.kafka.tools.ConsoleProducer",
    "consumer-groups": "org.apache.kafka.tools.consumer.group.ConsumerGroupCommand",
}
DEFAULT_BOOTSTRAP = "127.0.0.1:9092"


def run_tool(name: str, args: list[str]) -> int:
    """Run a Kafka tool, adding --bootstrap-server ($LOCALKAFKA_BOOTSTRAP or :9092) if absent."""
    if not any(
        arg == "--bootstrap-server" or arg.startswith("--bootstrap-server=") for arg in args
    ):
        bootstrap = os.environ.get("LOCALKAFKA_BOOTSTRAP", DEFAULT_BOOTSTRAP)
        if not answers(bootstrap):
            # Otherwise the tool only gives up after a silent 60 s timeout.
            logging.warning(
                "no Kafka broker answers at %s; start one with `python -m localkafka start`",
                bootstrap,
            )
        args = ["--bootstrap-server", bootstrap, *args]
    try:
        return subprocess.call(jars.tool_command(TOOLS[name], *args))
    except KeyboardInterrupt:
        return 130  # Ctrl-C also reached java, which stops console tools this way


def _broker(args: argparse.Namespace) -> Broker:
    return Broker(port=args.port, data_dir=folder_of(args), secure=secure_of(args))


def _cluster(args: argparse.Namespace) -> Cluster:
    return Cluster(
        size=args.nodes, base_dir=folder_of(args), port=args.port, secure=secure_of(args)
    )


def _up(bootstrap: str, secure: Secure | None) -> bool:
    if secure is None:
        return answers(bootstrap)
    try:
        return bool(cluster_view(bootstrap, secure.client_config(bootstrap))[0])
    except Exception:  # librdkafka's KafkaException: not answering
        return False


def cmd_start(args: argparse.Namespace) -> int:
    if args.nodes > 1:
        cluster = _cluster(args)
        bootstrap = cluster.start(timeout=args.timeout, detach=True)
        if cluster.nodes[0].secure is not None:
            secured(cluster.nodes[0].secure, bootstrap)
        print(bootstrap)
        return 0
    broker = _broker(args)
    if broker.pid() is None and _up(broker.bootstrap, broker.secure):
        # A broker we did not start (another --data, another tool) already serves this port.
        logging.info("reusing the Kafka broker already answering at %s", broker.bootstrap)
        print(broker.bootstrap)
        return 0
    if broker.is_running():
        logging.info(
            "reusing the broker already running in %s (pid %d)", broker.data_dir, broker.pid()
        )
    broker.start(timeout=args.timeout, detach=True)
    if broker.secure is not None:
        secured(broker.secure, broker.bootstrap)
    logging.info("broker ready; logs in %s", broker.log_file)
    print(broker.bootstrap)
    return 0


def cmd_stop(args: argparse.Namespace) -> int:
    if args.nodes > 1:
        cluster = _cluster(args)
        running = cluster.is_running()
        cluster.stop_all(timeout=args.timeout)
        print(f"stopped {cluster.bootstrap}" if running else "not running")
        return 0
    broker = _broker(args)
    pid = broker.pid()
    if broker.stop(timeout=args.timeout):
        print(f"stopped {broker.bootstrap} pid {pid}")
    else:
        print(f"not running (nothing in {broker.data_dir})")
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    if args.nodes > 1:
        nodes = _cluster(args).nodes
        up = [n.bootstrap for n in nodes if n.is_running() and _up(n.bootstrap, n.secure)]
        print(f"{len(up)} of {len(nodes)} nodes answer: {','.join(up)}")
        return 0 if len(up) == len(nodes) else 1
    broker = _broker(args)
    pid = broker.pid()
    if pid is None:
        if _up(broker.bootstrap, broker.secure):
            print(f"running {broker.bootstrap} (started elsewhere: not from {broker.data_dir})")
            return 0
        print("not running")
        return 1
    if not _up(broker.bootstrap, broker.secure):
        print(f"unresponsive {broker.bootstrap} pid {pid}")
        return 1
    print(f"running {broker.bootstrap} pid {pid}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m localkafka", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    for name, func, about in [
        ("start", cmd_start, "start a detached broker (reused if already running)"),
        ("stop", cmd_stop, "stop the broker (SIGTERM, then SIGKILL)"),
        ("status", cmd_status, "exit 0 if the broker runs and answers"),
        ("env", secure_cli.cmd_env, "print the app's ORDERS_KAFKA_* settings for a secure broker"),
        (
            "acls",
            secure_cli.cmd_acls,
            "apply kafka-acls argument lines (stdin or --file) as the admin",
        ),
    ]:
        command = commands.add_parser(name, help=about)
        command.set_defaults(func=func)
        command.add_argument("--port", type=int, default=9092)
        command.add_argument(
            "--nodes", type=int, default=1,
            help="a KRaft cluster of N nodes on ports PORT..PORT+N-1 (topics: replication "
                 "min(N, 3), min.insync.replicas one less)",
        )  # fmt: skip
        command.add_argument(
            "--data", help="data dir (default: .localkafka/data-PORT, or under $LOCALKAFKA_HOME)"
        )
        if name in ("start", "stop"):
            command.add_argument("--timeout", type=float, default=60 if name == "start" else 30)
        if name == "start":
            command.add_argument(
                "--secure", action="store_true",
                help="SASL_SSL (SCRAM-SHA-512) with a CA made here, ACLs enforced, an admin and "
                     "the app's user (DATA/credentials.json)",
            )  # fmt: skip
        if name == "acls":
            command.add_argument("--file", help="the lines (default: stdin)")
    secrets_cmd = commands.add_parser(
        "compose-secrets", help=secure_cli.cmd_compose_secrets.__doc__
    )
    secrets_cmd.set_defaults(func=secure_cli.cmd_compose_secrets)
    secrets_cmd.add_argument("--dir", required=True)
    secrets_cmd.add_argument("--hosts", required=True, help="the nodes' host names, by commas")
    secrets_cmd.add_argument("--uid", type=int, help="owner of every file written")
    for name, main_class in TOOLS.items():
        commands.add_parser(
            name, help=f"run {main_class} (arguments passed through)", add_help=False
        )
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="localkafka: %(message)s")
    # Tool arguments are Kafka's own; argparse would reject or reinterpret them.
    if argv and argv[0] in TOOLS:
        return run_tool(argv[0], argv[1:])
    args = build_parser().parse_args(argv)
    try:
        code: int = args.func(args)
        return code
    except BrokerError as err:
        logging.error("%s", err)
        return 1
