"""The secure cluster's commands of ``python -m localkafka`` (``env``, ``acls``,
``compose-secrets``) and what ``start --secure`` does once the cluster serves (its
credentials.json, the app's ACLs)."""

from __future__ import annotations

import argparse
import json
import logging
import subprocess
import sys
from pathlib import Path

from localkafka import compose, jars
from localkafka.acls import apply_acls
from localkafka.broker import BrokerError
from localkafka.secure import Secure, private


def folder_of(args: argparse.Namespace) -> Path:
    default = f"cluster-{args.port}" if args.nodes > 1 else f"data-{args.port}"
    return Path(args.data or jars.home() / default).resolve()


def secure_of(args: argparse.Namespace) -> Secure | None:
    """The folder's secrets when it is (or is to be) a secure cluster's."""
    folder = folder_of(args)
    if getattr(args, "secure", False) or (folder / ".secrets.json").exists():
        return Secure.ensure(folder)
    return None


def secured(secure: Secure, bootstrap: str) -> None:
    """Once a secure cluster serves: its credentials.json, and the app's ACLs
    (``faust -A app acls`` when run from the project, for the environment it runs in)."""
    path = secure.write_credentials(bootstrap)
    project = Path(__file__).resolve().parent.parent
    if not (project / "app" / "cli" / "acls.py").exists():
        logging.info("credentials in %s; no app here to apply ACLs for", path)
        return
    listed = subprocess.run(
        [sys.executable, "-m", "faust", "-A", "app", "acls", "--principal",
         f"User:{secure.app.username}"],
        cwd=project, capture_output=True, text=True, check=False,
    )  # fmt: skip
    if listed.returncode != 0:
        raise BrokerError(f"faust -A app acls failed:\n{listed.stderr[-2000:]}")
    count = apply_acls(bootstrap, secure, listed.stdout.splitlines())
    logging.info("credentials in %s; %d ACLs for User:%s", path, count, secure.app.username)


def cmd_env(args: argparse.Namespace) -> int:
    """The app's client settings for a secure cluster, as KEY=VALUE lines for ``export``."""
    folder = folder_of(args)
    creds = folder / "credentials.json"
    if not creds.exists():
        logging.error("no %s: start it with --secure first", creds)
        return 1
    doc = json.loads(creds.read_text())
    password_file = folder / "app.password"
    private(password_file, doc["app"]["password"])
    lines = {
        "BROKER_URL": f"kafka://{doc['bootstrap']}",  # Faust takes kafka://h1:p1,h2:p2
        "ORDERS_KAFKA_SECURITY_PROTOCOL": doc["securityProtocol"],
        "ORDERS_KAFKA_SASL_MECHANISM": doc["saslMechanism"],
        "ORDERS_KAFKA_USERNAME": doc["app"]["username"],
        "ORDERS_KAFKA_PASSWORD_FILE": str(password_file),
        "ORDERS_KAFKA_CA_FILE": doc["caFile"],
    }
    print("\n".join(f"{k}={v}" for k, v in lines.items()))
    return 0


def cmd_acls(args: argparse.Namespace) -> int:
    """Apply ``kafka-acls`` argument lines (stdin or --file) as the secure cluster's admin."""
    secure, folder = secure_of(args), folder_of(args)
    if secure is None or not (folder / "credentials.json").exists():
        logging.error("%s is not a secure cluster's folder", folder)
        return 1
    bootstrap = json.loads((folder / "credentials.json").read_text())["bootstrap"]
    text = Path(args.file).read_text() if args.file else sys.stdin.read()
    print(f"{apply_acls(bootstrap, secure, text.splitlines())} ACLs applied")
    return 0


def cmd_compose_secrets(args: argparse.Namespace) -> int:
    """docker-compose.yaml's secure profile: its secrets and node configs (localkafka.compose)."""
    hosts = [h.strip() for h in args.hosts.split(",") if h.strip()]
    compose.write(Path(args.dir), hosts, args.uid)
    print(f"secrets for {', '.join(hosts)} in {args.dir}")
    return 0
