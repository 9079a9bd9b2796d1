"""How every Kafka client of the project connects: ``ORDERS_KAFKA_SECURITY_PROTOCOL`` (PLAINTEXT,
SSL, SASL_PLAINTEXT, SASL_SSL), ``ORDERS_KAFKA_SASL_MECHANISM``, ``ORDERS_KAFKA_USERNAME``,
``ORDERS_KAFKA_PASSWORD`` (or ``_FILE``) and ``ORDERS_KAFKA_CA_FILE``; for the workers (Faust's
``broker_credentials``) and for every plain aiokafka client alike."""

from __future__ import annotations

import ssl
from functools import cache
from typing import Any

import faust

from app.settings import Settings, settings


@cache
def _context(cafile: str | None) -> ssl.SSLContext:
    """TLS with the brokers' CA (else the system's), their host name checked."""
    return ssl.create_default_context(cafile=cafile)


def ssl_context(conf: Settings = settings) -> ssl.SSLContext | None:
    if not conf.kafka_security_protocol.endswith("SSL"):
        return None
    return _context(None if conf.kafka_ca_file is None else str(conf.kafka_ca_file))


def aiokafka_options(conf: Settings = settings) -> dict[str, Any]:
    """The keyword arguments every AIOKafka* client takes to connect as configured."""
    options: dict[str, Any] = {"security_protocol": conf.kafka_security_protocol}
    if (context := ssl_context(conf)) is not None:
        options["ssl_context"] = context
    if conf.kafka_security_protocol.startswith("SASL_"):
        options |= {
            "sasl_mechanism": conf.kafka_sasl_mechanism,
            "sasl_plain_username": conf.kafka_username,
            "sasl_plain_password": conf.kafka_password_text(),
        }
    return options


def faust_credentials(conf: Settings = settings) -> faust.types.auth.CredentialsT | None:
    """Faust's ``broker_credentials`` for the same (None: plaintext)."""
    protocol = conf.kafka_security_protocol
    if protocol == "PLAINTEXT":
        return None
    if protocol == "SSL":
        return faust.SSLCredentials(ssl_context(conf))
    return faust.SASLCredentials(
        username=conf.kafka_username,
        password=conf.kafka_password_text(),
        ssl_context=ssl_context(conf),
        mechanism=conf.kafka_sasl_mechanism,
    )
