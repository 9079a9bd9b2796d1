"""How the benchmark's own Kafka clients connect: ``ORDERS_KAFKA_*``, read when a client is made
(``python -m bench --secure`` sets them for its secure broker; the workers and the job processes
it starts inherit them)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from app.adapters.kafka_auth import aiokafka_options, faust_credentials
from app.settings import Settings
from localkafka import Broker
from localkafka.secure import Secure
from tests.support.secure import client_settings


def start_broker(folder: Path, *, secure: bool) -> Broker:
    """The benchmark's broker; with ``secure``, SASL_SSL with ACLs, and ``ORDERS_KAFKA_*`` for its
    admin set in this process (read by every client from here on, inherited by every process
    started): what TLS and SCRAM cost is measured, not ACL checks (a super user skips them)."""
    made = Secure.ensure(folder) if secure else None
    broker = Broker.isolated(folder, heap_mb=1024, secure=made)
    broker.start()
    if made is not None:
        os.environ.update(client_settings(broker, made.admin))
    return broker


def options() -> dict[str, Any]:
    """Keyword arguments for AIOKafkaProducer / Consumer / AdminClient."""
    return aiokafka_options(Settings())


def faust_auth() -> dict[str, Any]:
    """``broker_credentials`` for a Faust app of the benchmark (nothing when plaintext)."""
    credentials = faust_credentials(Settings())
    return {} if credentials is None else {"broker_credentials": credentials}


def librdkafka() -> dict[str, str]:
    """The same for a librdkafka client (Quix Streams)."""
    conf = Settings()
    out: dict[str, str] = {"security.protocol": conf.kafka_security_protocol}
    if conf.kafka_ca_file is not None:
        out["ssl.ca.location"] = str(conf.kafka_ca_file)
    if conf.kafka_security_protocol.startswith("SASL_"):
        out |= {"sasl.mechanism": conf.kafka_sasl_mechanism,
                "sasl.username": conf.kafka_username or "",
                "sasl.password": conf.kafka_password_text() or ""}  # fmt: skip
    return out
