"""The secure broker as an attacker would try it, each refusal read from the client's own error
(not from a timeout): no credentials, a wrong password, TLS with an unknown CA, a user without
ACLs reading orders.events or writing orders.commands, the app's user creating an ACL or
deleting a topic; and the app's user doing what the app does (an order end to end is
``tests/e2e/test_secure.py``). Kafka 4's SCRAM is checked with librdkafka ≥ 2.6.1 (the
confluent-kafka wheel's; Debian's 2.0.2 is refused even with the right password, librdkafka
#4895) and with aiokafka, the app's own client."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.errors import ClusterAuthorizationFailedError, TopicAuthorizationFailedError
from confluent_kafka import KafkaError, KafkaException
from confluent_kafka.admin import (
    AclBinding,
    AclOperation,
    AclPermissionType,
    AdminClient,
    ResourcePatternType,
    ResourceType,
    ScramCredentialInfo,
    ScramMechanism,
    UserScramCredentialUpsertion,
)

from app.adapters.kafka_auth import aiokafka_options
from app.settings import Settings
from localkafka.broker import Broker
from localkafka.probe import metadata
from localkafka.secure import User
from tests.support.secure import client_settings, secure_of, secure_system
from tests.support.system import REPO, System

KCAT = REPO / "scripts" / "kcat"


@pytest.fixture(scope="module")
def deployed(kafka_secure: Broker, tmp_path_factory: pytest.TempPathFactory) -> System:
    return secure_system(kafka_secure, Path(tmp_path_factory.mktemp("secure")))


@pytest.fixture(scope="module")
def outsider(kafka_secure: Broker) -> Iterator[User]:
    """An authenticated user the admin made, with no ACL at all."""
    user = User("outsider", secrets.token_hex(16))
    admin = AdminClient(secure_of(kafka_secure).client_config(kafka_secure.bootstrap))
    info = ScramCredentialInfo(ScramMechanism.SCRAM_SHA_512, 4096)
    upsert = UserScramCredentialUpsertion(user.username, info, user.password.encode())
    for future in admin.alter_user_scram_credentials([upsert]).values():
        future.result(30)
    time.sleep(1)  # the credential reaches the broker's cache through the metadata log
    yield user


class Said(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


def refusal(config: dict[str, str], timeout: float = 20) -> str:
    """Why a librdkafka client asking for metadata is refused: its first error or failure log
    line other than the summary "all brokers are down" that follows it."""
    said, found = Said(), list[KafkaError]()
    logger = logging.getLogger(f"rdkafka-{secrets.token_hex(4)}")
    logger.addHandler(said)
    admin = AdminClient({**config, "error_cb": found.append}, logger=logger)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(KafkaException):  # the reason comes to error_cb or the log
            admin.list_topics(timeout=1)
        admin.poll(0.2)  # serves error_cb and the log
        why = [e.str() for e in found if e.code() != KafkaError._ALL_BROKERS_DOWN]
        why += [line for line in said.lines if "FAIL" in line or "failed" in line]
        if why:
            return why[0]
    raise AssertionError(f"only {found}: the broker let this client in")


def test_no_credentials_a_wrong_password_and_an_unknown_ca_are_refused(
    kafka_secure: Broker, tmp_path: Path
) -> None:
    secure = secure_of(kafka_secure)
    good = secure.client_config(kafka_secure.bootstrap, secure.app)
    host, port = kafka_secure.bootstrap.rsplit(":", 1)
    with pytest.raises(ConnectionError, match="closed"):  # at once: not a TimeoutError
        metadata(host, int(port), timeout=10)  # a plaintext Kafka request, no TLS, no SASL
    wrong = refusal({**good, "sasl.password": "not-" + secure.app.password})
    assert "Authentication failed" in wrong and "invalid credentials" in wrong, wrong
    stranger = tmp_path / "other-ca.pem"  # a CA that did not sign the broker's certificate
    stranger.write_bytes(Path("/etc/ssl/certs/ca-certificates.crt").read_bytes())
    unknown = refusal({**good, "ssl.ca.location": str(stranger)})
    assert "SSL handshake failed" in unknown and "certificate verify failed" in unknown, unknown
    tls_only = refusal({**good, "security.protocol": "SSL"})  # TLS, no SASL
    assert "Disconnected" in tls_only or "closed" in tls_only, tls_only
    admin_view = AdminClient(good).list_topics(timeout=20)  # the right password gets in
    assert kafka_secure.node_id in admin_view.brokers


def test_kcat_lists_metadata_only_with_the_apps_credentials(kafka_secure: Broker) -> None:
    assert shutil.which("kcat"), "kcat is not installed (make sysdeps)"
    creds = json.loads(secure_of(kafka_secure).credentials_file.read_text())
    base = [str(KCAT), "-L", "-b", creds["bootstrap"], "-m", "10"]
    sasl = ["-X", "security.protocol=SASL_SSL", "-X", "sasl.mechanism=SCRAM-SHA-512",
            "-X", f"ssl.ca.location={creds['caFile']}", "-X", "sasl.username=app"]  # fmt: skip
    ok = subprocess.run([*base, *sasl, "-X", f"sasl.password={creds['app']['password']}"],
                        capture_output=True, text=True, timeout=60)  # fmt: skip
    assert ok.returncode == 0 and "1 brokers" in ok.stdout, ok.stderr
    wrong = subprocess.run([*base, *sasl, "-X", "sasl.password=wrong"],
                           capture_output=True, text=True, timeout=60)  # fmt: skip
    assert wrong.returncode != 0 and "invalid credentials" in wrong.stderr
    none = subprocess.run(base, capture_output=True, text=True, timeout=60)
    assert none.returncode != 0 and "Failed to acquire metadata" in none.stderr


def options(broker: Broker, user: User) -> dict[str, Any]:
    conf = Settings.model_validate({k.removeprefix("ORDERS_").lower(): v
                       for k, v in client_settings(broker, user).items()})  # fmt: skip
    return {"bootstrap_servers": broker.bootstrap, **aiokafka_options(conf)}


async def _read(opts: dict[str, Any], topic: str) -> None:
    consumer = AIOKafkaConsumer(topic, **opts, group_id=None, enable_auto_commit=False)
    try:
        await consumer.start()  # the topic's metadata: refused without Describe
        await consumer.getmany(timeout_ms=2000)
    finally:
        await consumer.stop()


async def _write(opts: dict[str, Any], topic: str, *, idempotent: bool = True) -> None:
    producer = AIOKafkaProducer(**opts, acks="all", enable_idempotence=idempotent)
    await producer.start()
    try:
        await producer.send_and_wait(topic, b"{}", key=b"u-1")
    finally:
        await producer.stop()


def test_a_user_without_acls_can_neither_read_events_nor_write_commands(
    kafka_secure: Broker, deployed: System, outsider: User
) -> None:
    opts = options(kafka_secure, outsider)
    with pytest.raises(TopicAuthorizationFailedError):
        asyncio.run(_read(opts, deployed.topic("orders.events")))
    with pytest.raises(TopicAuthorizationFailedError):  # the topic's ACL says no
        asyncio.run(_write(opts, deployed.topic("orders.commands"), idempotent=False))
    with pytest.raises(ClusterAuthorizationFailedError):  # no producer id: it may write nowhere
        asyncio.run(_write(opts, deployed.topic("orders.commands")))
    app_user = options(kafka_secure, secure_of(kafka_secure).app)  # the same, as the app: allowed
    asyncio.run(_write(app_user, deployed.topic("orders.commands")))
    asyncio.run(_read(app_user, deployed.topic("orders.events")))


def test_the_apps_user_cannot_grant_acls_nor_delete_a_topic(
    kafka_secure: Broker, deployed: System
) -> None:
    secure = secure_of(kafka_secure)
    app_admin = AdminClient(secure.client_config(kafka_secure.bootstrap, secure.app))
    grant = AclBinding(ResourceType.TOPIC, "*", ResourcePatternType.LITERAL, "User:app", "*",
                       AclOperation.ALL, AclPermissionType.ALLOW)  # fmt: skip
    with pytest.raises(KafkaException) as refused:
        for future in app_admin.create_acls([grant], request_timeout=20).values():
            future.result(30)
    assert refused.value.args[0].code() == KafkaError.CLUSTER_AUTHORIZATION_FAILED
    events = deployed.topic("orders.events")
    with pytest.raises(KafkaException) as refused:
        app_admin.delete_topics([events], operation_timeout=20)[events].result(30)
    assert refused.value.args[0].code() == KafkaError.TOPIC_AUTHORIZATION_FAILED
    assert events in app_admin.list_topics(timeout=20).topics  # still there
