"""Every setting of the order system in one frozen object, read from the environment."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DAY_MS = 24 * 60 * 60 * 1000
ADMISSION_FLOOR = 10.0  # seconds: the least default budget, a few commit intervals


class Settings(BaseSettings):
    """Our own settings (prefix ``ORDERS_``); Faust's own ones keep Faust's names.

    Faust reads ``BROKER_URL``, ``WEB_PORT``, ``APP_DATADIR``, ``BROKER_SESSION_TIMEOUT`` … itself,
    so those are passed to ``faust.App`` only as defaults and the documented variables still win.
    """

    # hide_input_in_errors: an invalid setting's error never shows the values (keys, passwords)
    model_config = SettingsConfigDict(
        env_prefix="ORDERS_", frozen=True, extra="ignore", hide_input_in_errors=True
    )

    app_id: str = Field("orders", description="Faust app id: consumer group and changelog prefix")
    broker_url: str = Field("kafka://localhost:9092", description="default when BROKER_URL unset")
    topic_prefix: str = Field("", description="prepended to every topic name (test isolation)")
    topic_partitions: int = Field(3, ge=1)
    topic_replication: int = Field(1, ge=1)
    min_insync_replicas: int | None = Field(None, ge=1, description="unset: the broker's default")
    retention_days: float = Field(7, gt=0, description="business topics")
    dlq_retention_days: float = Field(30, gt=0)
    audit_log: Path | None = Field(None, description="default: <datadir>/audit.jsonl")
    health_log: Path | None = Field(None, description="default: <datadir>/health.jsonl")
    health_interval: float = Field(10.0, gt=0, description="seconds between metric lines")
    route_timeout: float = Field(5.0, gt=0, description="seconds for a request forwarded to owner")
    retry_after: int = Field(5, ge=1, description="Retry-After seconds on 503")
    saga_timeout: float = Field(30.0, gt=0, description="seconds a saga step waits for an answer")
    saga_tick: float = Field(1.0, gt=0, description="seconds between deadline checks")
    admission_backlog: float | None = Field(
        None, ge=0,
        description="seconds of backlog ahead a new order may wait, else 429 (unset: half "
                    "ORDERS_SAGA_TIMEOUT, at least 10; 0: admit every order)",
    )  # fmt: skip
    admission_interval: float = Field(1.0, gt=0, description="seconds between backlog samples")
    admission_window: float = Field(10.0, gt=0, description="seconds of samples a pace is from")
    payment_seed: int = Field(1, description="seed of the simulated gateway's random declines")
    payment_decline_rate: float = Field(0.0, ge=0, le=1, description="share declined at random")
    payment_outage_rate: float = Field(
        0.0, ge=0, le=1, description="share of gateway calls failing"
    )
    payment_latency_ms: float = Field(20.0, ge=0, description="simulated gateway latency")
    payment_concurrency: int = Field(
        64, ge=1, description="payment commands (of different orders) handled at once"
    )
    retry_max: int = Field(3, ge=0, description="retries of a transient failure")
    retry_base: float = Field(1.0, gt=0, description="first backoff delay, seconds (doubles)")
    retry_max_delay: float = Field(30.0, gt=0, description="longest backoff delay, seconds")
    handler_timeout: float = Field(
        5.0, gt=0, description="seconds one try of a handler may take (then: a timeout)"
    )
    drain_timeout: float = Field(
        45.0, gt=0, description="seconds a stop or rebalance waits for records in flight"
    )
    table_cache_records: int = Field(
        10_000, ge=1, description="table writes held in memory, all tables, before a flush"
    )
    table_cache_linger_ms: float = Field(
        0.0, ge=0, le=1000,
        description="ms a flush that events wait for waits for more writes (0: one loop turn)",
    )  # fmt: skip
    fetch_max_wait_ms: int = Field(
        20, ge=1, le=30_000,
        description="ms a fetch waits at the broker for a record (Faust fixes it at 1500)",
    )  # fmt: skip
    fetch_sessions: bool = Field(
        True, description="fetch in incremental sessions (KIP-227): a fetch names what changed"
    )
    gc_threshold: int = Field(
        20_000, ge=0, le=10_000_000,
        description="allocations between young-generation collections; 0: CPython's own (700)",
    )  # fmt: skip
    producer_linger_ms: float = Field(
        0.0, ge=0, le=1000,
        description="ms a send waits for more records to share its produce request",
    )  # fmt: skip
    stall_check: float = Field(10.0, gt=0, description="seconds between stalled-partition checks")
    stall_timeout: float = Field(
        120.0, gt=0, description="seconds an owned partition with records waiting may not move"
    )
    fault_hold: str = Field(
        "",
        description="drill: topic/partition,… whose records this worker takes and never finishes",
    )
    fault_kill: str = Field(
        "",
        description="drill: point:N, this worker kill -9s itself the Nth time it reaches point "
        "(flushed: a flush on the broker, its commit not made; written: a write in the cache; "
        "sent: the saga's events on the broker, its write in the cache)",
    )
    breaker_threshold: int = Field(5, ge=1, description="failures in a row that open a circuit")
    breaker_reset: float = Field(30.0, gt=0, description="seconds a circuit stays open")
    revenue_hours: int = Field(48, ge=1, le=24 * 31, description="hours of revenue windows kept")
    snapshot_interval: float = Field(1.0, gt=0, description="seconds between totals snapshots")
    longpoll_max: float = Field(30.0, gt=0, description="longest ?wait= of a status read")
    longpoll_limit: int = Field(1000, ge=1, description="concurrent long-polls per worker")
    event_loop: Literal["uvloop", "aio"] = Field("uvloop", description="uvloop or asyncio's")
    stats_history: int = Field(
        120, ge=10, le=3600, description="seconds of per-second totals kept for /stats and /"
    )
    standby_replicas: int = Field(1, ge=0, description="standby copies of every table")
    kafka_security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = Field(
        "PLAINTEXT", description="how every Kafka client of the project connects"
    )
    kafka_sasl_mechanism: Literal["SCRAM-SHA-512", "SCRAM-SHA-256", "PLAIN"] = Field(
        "SCRAM-SHA-512", description="with SASL_PLAINTEXT or SASL_SSL"
    )
    kafka_username: str | None = Field(None, description="the SASL user")
    kafka_password: SecretStr | None = Field(None, description="the SASL password")
    kafka_password_file: Path | None = Field(None, description="or a file holding it")
    kafka_ca_file: Path | None = Field(None, description="CA (PEM) of the brokers' certificates")
    api_keys: SecretStr | None = Field(
        None, description="role:key,… with roles read, write, admin; unset (and no file): open"
    )
    api_keys_file: Path | None = Field(None, description="the same, one or more per line")
    api_read_auth: bool = Field(False, description="reads (GET) need a key too")
    peer_secret: SecretStr | None = Field(
        None, description="what workers sign requests to each other with (default: from the keys)"
    )
    api_key: SecretStr | None = Field(
        None, description="the key this project's HTTP clients send (monitor, replay)"
    )
    fault_injection: bool = Field(False, description="POST /payments/outage exists (admin)")
    rate_limit: int = Field(
        0, ge=0,
        description="writes per second per API key (per address without keys), on each worker; "
                    "0: no limit",
    )  # fmt: skip
    trace_exporter: Literal["none", "console", "otlp"] = Field(
        "none", description="OpenTelemetry spans: none, console (stdout) or otlp (OTEL_EXPORTER_…)"
    )

    def admission_budget(self) -> float:
        """The backlog (seconds) a new order may have ahead of it; 0: no admission control. By
        default half the saga's timeout, and never under 10 s: the backlog is read from committed
        offsets, so a healthy partition shows up to a commit interval (2.8 s) of it."""
        if self.admission_backlog is None:
            return max(self.saga_timeout / 2, ADMISSION_FLOOR)
        return self.admission_backlog

    def longest_handling(self) -> float:
        """The longest one record can be handled: every try timing out, with the backoff between
        (5 s tries, 3 retries, 1 + 2 + 4 s: 27 s)."""
        waits: float = sum(
            min(self.retry_base * 2**n, self.retry_max_delay) for n in range(self.retry_max)
        )
        return (self.retry_max + 1) * self.handler_timeout + waits

    @model_validator(mode="after")
    def drain_outlasts_handling(self) -> Settings:
        """A stop or a rebalance must be able to wait for the longest handling: were it to give
        up first, the next owner would handle the same record while this worker still does."""
        if self.drain_timeout <= self.longest_handling():
            raise ValueError(
                f"ORDERS_DRAIN_TIMEOUT ({self.drain_timeout:g} s) must exceed the longest a record "
                f"can be handled: (ORDERS_RETRY_MAX + 1) * ORDERS_HANDLER_TIMEOUT + the backoffs "
                f"= {self.longest_handling():g} s"
            )
        return self

    @model_validator(mode="after")
    def one_source_of_each_secret(self) -> Settings:
        if self.api_keys is not None and self.api_keys_file is not None:
            raise ValueError("set ORDERS_API_KEYS or ORDERS_API_KEYS_FILE, not both")
        if self.kafka_password is not None and self.kafka_password_file is not None:
            raise ValueError("set ORDERS_KAFKA_PASSWORD or ORDERS_KAFKA_PASSWORD_FILE, not both")
        sasl = self.kafka_security_protocol.startswith("SASL_")
        has_password = self.kafka_password is not None or self.kafka_password_file is not None
        if sasl and (not self.kafka_username or not has_password):
            raise ValueError(
                f"ORDERS_KAFKA_SECURITY_PROTOCOL={self.kafka_security_protocol} needs "
                "ORDERS_KAFKA_USERNAME and ORDERS_KAFKA_PASSWORD (or ORDERS_KAFKA_PASSWORD_FILE)"
            )
        return self

    def kafka_password_text(self) -> str | None:
        if self.kafka_password_file is not None:
            return self.kafka_password_file.read_text().strip()
        return None if self.kafka_password is None else self.kafka_password.get_secret_value()

    def api_keys_text(self) -> str | None:
        """The configured keys' text (the file read now), or None when the API is open."""
        if self.api_keys_file is not None:
            return self.api_keys_file.read_text()
        return None if self.api_keys is None else self.api_keys.get_secret_value()

    def api_headers(self) -> dict[str, str]:
        """What the project's own HTTP clients send: ``ORDERS_API_KEY`` as a bearer token."""
        if self.api_key is None:
            return {}
        return {"Authorization": f"Bearer {self.api_key.get_secret_value()}"}

    def held_partitions(self) -> frozenset[tuple[str, int]]:
        """``ORDERS_FAULT_HOLD`` as (logical topic, partition) pairs."""
        pairs = (item.strip().rsplit("/", 1) for item in self.fault_hold.split(",") if item.strip())
        return frozenset((topic, int(partition)) for topic, partition in pairs)

    def durability(self) -> dict[str, str]:
        """Topic configs for every topic the app owns, Faust's changelogs included."""
        if self.min_insync_replicas is None:
            return {}
        return {"min.insync.replicas": str(self.min_insync_replicas)}

    def retention_ms(self, *, dlq: bool = False) -> int:
        return int((self.dlq_retention_days if dlq else self.retention_days) * DAY_MS)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()


settings = get_settings()
