"""A secure local Kafka: SASL_SSL (SCRAM-SHA-512) for clients, ACLs enforced, random passwords.

What ``python -m localkafka start --secure`` sets up in its data folder, once:

- ``tls/ca.pem``: a CA made here (its key is thrown away once it has signed), ``tls/broker.pem``
  (0600): the brokers' key and certificate for 127.0.0.1 and localhost, signed by that CA;
- ``credentials.json`` (0600): the bootstrap, protocol, mechanism, CA file and the passwords of
  ``admin`` (the super user) and ``app`` (the application's user, with only the ACLs it needs);
- the brokers' own listener between controllers, SASL_SSL with PLAIN and a password of its own.

The StandardAuthorizer runs with ``allow.everyone.if.no.acl.found=false``: a user with no ACL
may connect and do nothing. The SCRAM users are written into the cluster's first metadata by
``kafka-storage format --add-scram``, so they exist before any client connects.
"""

from __future__ import annotations

import datetime
import ipaddress
import json
import logging
import os
import secrets
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

log = logging.getLogger("localkafka")
MECHANISM = "SCRAM-SHA-512"
PROTOCOL = "SASL_SSL"
AUTHORIZER = "org.apache.kafka.metadata.authorizer.StandardAuthorizer"


@dataclass(frozen=True)
class User:
    username: str
    password: str


@dataclass(frozen=True)
class Secure:
    """The secrets of one secure cluster (every node shares them)."""

    folder: Path
    admin: User
    app: User
    controller: User  # the nodes' own user on the controller listener

    @property
    def ca_file(self) -> Path:
        return self.folder / "tls" / "ca.pem"

    @property
    def keystore(self) -> Path:
        return self.folder / "tls" / "broker.pem"

    @property
    def credentials_file(self) -> Path:
        return self.folder / "credentials.json"

    @classmethod
    def ensure(cls, folder: str | Path, hosts: tuple[str, ...] = ()) -> Secure:
        """The cluster's secrets in ``folder``: read back, or made on the first start."""
        folder = Path(folder).resolve()
        kept = folder / ".secrets.json"
        if kept.exists():
            raw = json.loads(kept.read_text())
            return cls(folder, User(**raw["admin"]), User(**raw["app"]), User(**raw["controller"]))
        made = cls(
            folder, *(User(name, secrets.token_hex(24)) for name in ("admin", "app", "controller"))
        )
        made._make_certificates(hosts)
        private(
            kept, json.dumps({k: asdict(getattr(made, k)) for k in ("admin", "app", "controller")})
        )
        return made

    def write_credentials(self, bootstrap: str) -> Path:
        """``credentials.json`` (0600): what a client needs, for the admin and the app's user."""
        doc = {
            "bootstrap": bootstrap,
            "securityProtocol": PROTOCOL,
            "saslMechanism": MECHANISM,
            "caFile": str(self.ca_file),
            "admin": asdict(self.admin),
            "app": asdict(self.app),
        }
        private(self.credentials_file, json.dumps(doc, indent=2) + "\n")
        return self.credentials_file

    def format_args(self) -> list[str]:
        """``kafka-storage format`` arguments that create the SCRAM users."""
        return [
            arg
            for user in (self.admin, self.app)
            for arg in (
                "--add-scram",
                f"{MECHANISM}=[name={user.username},password={user.password}]",
            )
        ]

    def properties(self, host: str, port: int, controller_port: int) -> dict[str, Any]:
        """The listener, TLS, SASL and authorizer lines of a node's server.properties."""
        scram = "org.apache.kafka.common.security.scram.ScramLoginModule"
        plain = "org.apache.kafka.common.security.plain.PlainLoginModule"
        admin, ctl = self.admin, self.controller
        return {
            "listeners": f"CLIENT://{host}:{port},CONTROLLER://{host}:{controller_port}",
            "advertised.listeners": f"CLIENT://{host}:{port}",
            "listener.security.protocol.map": f"CLIENT:{PROTOCOL},CONTROLLER:{PROTOCOL}",
            "inter.broker.listener.name": "CLIENT",
            "sasl.enabled.mechanisms": MECHANISM,
            "sasl.mechanism.inter.broker.protocol": MECHANISM,
            "listener.name.client.sasl.enabled.mechanisms": MECHANISM,
            f"listener.name.client.{MECHANISM.lower()}.sasl.jaas.config": (
                f'{scram} required username="{admin.username}" password="{admin.password}";'
            ),
            "sasl.mechanism.controller.protocol": "PLAIN",
            "listener.name.controller.sasl.enabled.mechanisms": "PLAIN",
            "listener.name.controller.plain.sasl.jaas.config": (
                f'{plain} required username="{ctl.username}" password="{ctl.password}" '
                f'user_{ctl.username}="{ctl.password}";'
            ),
            "ssl.keystore.type": "PEM",
            "ssl.keystore.location": self.keystore,
            "ssl.truststore.type": "PEM",
            "ssl.truststore.location": self.ca_file,
            "ssl.endpoint.identification.algorithm": "https",
            "authorizer.class.name": AUTHORIZER,
            "allow.everyone.if.no.acl.found": "false",
            "super.users": f"User:{admin.username};User:{ctl.username}",
        }

    def client_config(self, bootstrap: str, user: User | None = None) -> dict[str, str]:
        """librdkafka (confluent-kafka, kcat) settings for ``user`` (default: admin)."""
        who = user or self.admin
        return {
            "bootstrap.servers": bootstrap,
            "security.protocol": PROTOCOL,
            "sasl.mechanism": MECHANISM,
            "sasl.username": who.username,
            "sasl.password": who.password,
            "ssl.ca.location": str(self.ca_file),
        }

    def _make_certificates(self, hosts: tuple[str, ...] = ()) -> None:
        (self.folder / "tls").mkdir(parents=True, exist_ok=True)
        now = datetime.datetime.now(datetime.UTC)
        ca_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localkafka CA")])
        ca = (
            x509.CertificateBuilder()
            .subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=3650))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False,
                                         False), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()),
                           critical=False)
            .sign(ca_key, hashes.SHA256())
        )  # fmt: skip
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        names = [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost"),
                 *(x509.DNSName(host) for host in hosts)]  # fmt: skip
        cert = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localkafka broker")]))
            .issuer_name(ca_name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=825))
            .add_extension(x509.SubjectAlternativeName(names), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH,
                                                  ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
                           critical=False)
            .sign(ca_key, hashes.SHA256())
        )  # fmt: skip
        pem = serialization.Encoding.PEM
        key_pem = key.private_bytes(
            pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        self.ca_file.write_bytes(ca.public_bytes(pem))
        private(self.keystore, (key_pem + cert.public_bytes(pem) + ca.public_bytes(pem)).decode())
        log.info("made a CA and a broker certificate in %s", self.folder / "tls")


def private(path: Path, text: str) -> None:
    """Write ``text`` to a file only its owner can read, never readable by others on the way."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(text)
    os.chmod(path, 0o600)


def cluster_view(
    bootstrap: str, config: dict[str, str], timeout: float = 2.0
) -> tuple[set[int], int]:
    """(broker ids, controller id) as an authenticated client sees them; raises if none answers."""
    from confluent_kafka.admin import AdminClient  # only the secure broker needs it

    quiet = logging.getLogger("localkafka.rdkafka")
    quiet.setLevel(logging.CRITICAL)
    admin = AdminClient({**config, "bootstrap.servers": bootstrap}, logger=quiet)
    meta = admin.list_topics(timeout=timeout)
    return set(meta.brokers), meta.controller_id
