"""Deployments of the app on the secure broker (``kafka_secure``): its settings, its ACLs."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from localkafka.acls import apply_acls
from localkafka.broker import Broker
from localkafka.secure import Secure, User, private
from tests.support.system import REPO, System


def secure_of(broker: Broker) -> Secure:
    assert broker.secure is not None, "not a secure broker"
    return broker.secure


def client_settings(broker: Broker, user: User | None = None) -> dict[str, str]:
    """ORDERS_KAFKA_* for ``user`` (default: the app's), the password in a 0600 file in the
    broker's folder (where the secrets live)."""
    secure = secure_of(broker)
    who = user or secure.app
    password_file = secure.folder / f"{who.username}.password"
    private(password_file, who.password)
    return {
        "ORDERS_KAFKA_SECURITY_PROTOCOL": "SASL_SSL",
        "ORDERS_KAFKA_SASL_MECHANISM": "SCRAM-SHA-512",
        "ORDERS_KAFKA_USERNAME": who.username,
        "ORDERS_KAFKA_PASSWORD_FILE": str(password_file),
        "ORDERS_KAFKA_CA_FILE": str(secure.ca_file),
    }


def secure_system(broker: Broker, root: Path, **settings: str) -> System:
    """A System of the app's user on ``broker``, with exactly the ACLs ``faust -A app acls``
    lists for its topic prefix and app id, applied by the admin; its topics created by the app's
    user."""
    system = System(broker.bootstrap, root, settings={**client_settings(broker), **settings})
    secure = secure_of(broker)
    listed = subprocess.run(
        [sys.executable, "-m", "faust", "-A", "app", "acls", "--principal",
         f"User:{secure.app.username}"],
        cwd=REPO, env=system.env, capture_output=True, text=True, check=True, timeout=120,
    )  # fmt: skip
    assert apply_acls(broker.bootstrap, secure, listed.stdout.splitlines()) > 20
    created = system.faust("create-topics")
    assert created.returncode == 0, created.stderr[-3000:]
    return system
