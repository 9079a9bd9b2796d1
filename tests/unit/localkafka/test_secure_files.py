"""What a secure cluster's folder holds: the certificate for the right names, 0600 secrets, the
properties that turn SASL_SSL and the authorizer on; and the compose profile's node files."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
from cryptography import x509

from localkafka import compose
from localkafka.acls import acl_bindings
from localkafka.secure import Secure

SECRETS = (".secrets.json", "credentials.json", "tls/broker.pem")


def names_of(secure: Secure) -> set[str]:
    pem = secure.keystore.read_bytes()
    cert = x509.load_pem_x509_certificates(pem)[0]
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    ips = {str(ip) for ip in san.get_values_for_type(x509.IPAddress)}
    return ips | set(san.get_values_for_type(x509.DNSName))


def test_a_secure_folder_is_made_once_and_read_back(tmp_path: Path) -> None:
    made = Secure.ensure(tmp_path)
    made.write_credentials("127.0.0.1:1")
    again = Secure.ensure(tmp_path)
    assert again == made  # same passwords: a restart keeps its users
    assert len({made.admin.password, made.app.password, made.controller.password}) == 3
    for name in SECRETS:
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == 0o600, name
    assert names_of(made) == {"127.0.0.1", "localhost"}
    assert not list(tmp_path.rglob("*.key"))  # the CA's key is not kept
    props = made.properties("127.0.0.1", 1, 2)
    assert props["allow.everyone.if.no.acl.found"] == "false"
    assert props["super.users"] == "User:admin;User:controller"
    assert props["listener.security.protocol.map"] == "CLIENT:SASL_SSL,CONTROLLER:SASL_SSL"
    creds = json.loads(made.credentials_file.read_text())
    assert creds["app"] == {"username": "app", "password": made.app.password}


def test_the_compose_profiles_files(tmp_path: Path) -> None:
    hosts = ["kafka-s1", "kafka-s2", "kafka-s3"]
    secure = compose.write(tmp_path, hosts)
    assert names_of(secure) >= set(hosts)
    for n, host in enumerate(hosts, 1):
        lines = (tmp_path / f"node-{n}.properties").read_text().splitlines()
        props = dict(line.split("=", 1) for line in lines)
        assert props["node.id"] == str(n)
        assert props["listeners"] == "CLIENT://:9092,CONTROLLER://:9093"
        assert props["advertised.listeners"] == f"CLIENT://{host}:9092"
        assert props["controller.quorum.voters"].count("@kafka-s") == 3
    start = (tmp_path / "start-node.sh").read_text()
    assert start.count("--add-scram") == 2 and secure.app.password not in start
    assert (tmp_path / "app.password").read_text() == secure.app.password
    assert all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in tmp_path.glob("*") if p.is_file())


def test_acl_lines_become_bindings_and_anything_else_is_refused() -> None:
    [binding] = acl_bindings([
        "--add --allow-principal User:app --operation DescribeConfigs --topic orders- "
        "--resource-pattern-type prefixed  # why",
        "# a comment", "",
    ])  # fmt: skip
    assert (binding.name, binding.principal) == ("orders-", "User:app")
    assert binding.operation.name == "DESCRIBE_CONFIGS"
    assert binding.resource_pattern_type.name == "PREFIXED"
    for bad in (
        "--remove --allow-principal User:x --operation Read --topic t",
        "--add --operation Read --topic t",
        "--add --allow-principal User:x --topic t",
    ):
        with pytest.raises(ValueError, match="not an ACL line"):
            acl_bindings([bad])
