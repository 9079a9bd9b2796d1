"""`python -m localkafka start|stop|status` for a detached dev broker, plus Kafka tools."""

from __future__ import annotations

import argparse
import logging
import os
import subprocess
import sys

from localkafka import jars
from localkafka.broker import Broker, BrokerError
from localkafka.cluster import Cluster
from localkafka.probe import answers

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
    return Broker(port=args.port, data_dir=args.data)


def _cluster(args: argparse.Namespace) -> Cluster:
    base = args.data or jars.home() / f"cluster-{args.port}"
    return Cluster(size=args.nodes, base_dir=base, port=args.port)


def cmd_start(args: argparse.Namespace) -> int:
    if args.nodes > 1:
        cluster = _cluster(args)
        print(cluster.start(timeout=args.timeout, detach=True))
        return 0
    broker = _broker(args)
    if broker.pid() is None and answers(broker.bootstrap):
        # A broker we did not start (another --data, another tool) already serves this port.
        logging.info("reusing the Kafka broker already answering at %s", broker.bootstrap)
        print(broker.bootstrap)
        return 0
    if broker.is_running():
        logging.info(
            "reusing the broker already running in %s (pid %d)", broker.data_dir, broker.pid()
        )
    broker.start(timeout=args.timeout, detach=True)
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
        up = [n.bootstrap for n in nodes if n.is_running() and answers(n.bootstrap)]
        print(f"{len(up)} of {len(nodes)} nodes answer: {','.join(up)}")
        return 0 if len(up) == len(nodes) else 1
    broker = _broker(args)
    pid = broker.pid()
    if pid is None:
        if answers(broker.bootstrap):
            print(f"running {broker.bootstrap} (started elsewhere: not from {broker.data_dir})")
            return 0
        print("not running")
        return 1
    if not answers(broker.bootstrap):
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
        if name != "status":
            command.add_argument("--timeout", type=float, default=60 if name == "start" else 30)
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
