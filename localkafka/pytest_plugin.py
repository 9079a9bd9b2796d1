"""Session-scoped pytest fixtures for a real Kafka: kafka_broker, kafka_bootstrap, kafka_cluster."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from localkafka.broker import Broker
from localkafka.cluster import Cluster
from localkafka.probe import answers
from localkafka.secure import Secure


@dataclass(frozen=True)
class ExternalBroker:
    """A broker given by $KAFKA_BOOTSTRAP: used as is, never started or stopped here."""

    bootstrap: str

    def is_running(self) -> bool:
        return answers(self.bootstrap)


@pytest.fixture(scope="session")
def kafka_broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Broker | ExternalBroker]:
    """A single-node broker on free ports, or the one at $KAFKA_BOOTSTRAP (which must answer)."""
    external = os.environ.get("KAFKA_BOOTSTRAP")
    if external:
        if not answers(external, timeout=5):
            pytest.fail(
                f"KAFKA_BOOTSTRAP={external} is set but no Kafka broker answers there",
                pytrace=False,
            )
        yield ExternalBroker(external)
        return
    broker = Broker.isolated(tmp_path_factory.mktemp("kafka"))
    try:
        broker.start()
        yield broker
    finally:
        broker.stop()


@pytest.fixture(scope="session")
def kafka_bootstrap(kafka_broker: Broker | ExternalBroker) -> str:
    return kafka_broker.bootstrap


@pytest.fixture(scope="session")
def kafka_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    """A 3-node KRaft cluster (replication factor 3, min.insync.replicas 2) on free ports."""
    cluster = Cluster(size=3, base_dir=tmp_path_factory.mktemp("kafka-cluster"))
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.stop_all()


@pytest.fixture(scope="session")
def kafka_secure(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Broker]:
    """A single-node SASL_SSL broker (SCRAM-SHA-512, ACLs enforced) on free ports; its users and
    CA are ``broker.secure`` (``localkafka.secure``), its credentials.json is written."""
    folder = tmp_path_factory.mktemp("kafka-secure")
    broker = Broker.isolated(folder, secure=Secure.ensure(folder))
    try:
        broker.start()
        assert broker.secure is not None
        broker.secure.write_credentials(broker.bootstrap)
        yield broker
    finally:
        broker.stop()
