"""The one Faust application, configured from settings; every module registers onto ``app``."""

from __future__ import annotations

import faust

from app.settings import get_settings
from app.web_errors import json_errors

settings = get_settings()

app = faust.App(
    settings.app_id,
    origin="app",
    autodiscover=["agents", "tables", "views", "app.commands"],
    # Defaults only: Faust's own variables (BROKER_URL, WEB_PORT, APP_DATADIR,
    # BROKER_SESSION_TIMEOUT …) and flags (-b, --web-port, --datadir) override them.
    broker=settings.broker_url,
    store="rocksdb://",
    # Keys and values are bytes on the wire: keys are plain UTF-8 ids (so table_route hashes the
    # same bytes as every producer), values are our JSON envelopes, parsed in domain/.
    key_serializer="raw",
    value_serializer="raw",
    topic_partitions=settings.topic_partitions,
    topic_replication_factor=settings.topic_replication,
    broker_session_timeout=settings.session_timeout,
    broker_heartbeat_interval=max(1.0, settings.session_timeout / 4),
    consumer_auto_offset_reset="earliest",
    producer_acks=-1,
    web_application_options={"middlewares": [json_errors], "client_max_size": 256 * 1024},
)
