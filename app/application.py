"""The one Faust application, configured from settings; every module registers onto ``app``."""

from __future__ import annotations

from app.adapters import kafka_auth
from app.observability import metrics, tracing
from app.observability.logs import ErrorsToHealthLog
from app.runtime import fetching, garbage, performance, record_cache
from app.runtime.durability import OrdersApp
from app.runtime.recovery import OrdersTableManager
from app.runtime.tables import CheckedTable
from app.settings import settings
from views.http.errors import json_errors

tracing.configure(settings.trace_exporter)
record_cache.configure(settings.table_cache_records, settings.table_cache_linger_ms / 1000)
fetching.configure(settings.fetch_max_wait_ms, settings.fetch_sessions)
garbage.configure(settings.gc_threshold)

app = OrdersApp(
    settings.app_id,
    origin="app",
    autodiscover=[
        "agents",
        "tables",
        "views",
        "app.cli",
    ],
    # Defaults only: Faust's own variables (BROKER_URL, WEB_PORT, APP_DATADIR,
    # BROKER_SESSION_TIMEOUT …) and flags (-b, --web-port, --datadir) override them.
    broker=settings.broker_url,
    broker_credentials=kafka_auth.faust_credentials(),  # ORDERS_KAFKA_*: SASL, TLS
    store="rocksdb://",
    Table=CheckedTable,  # Faust's table, its partition check safe during a rebalance
    TableManager=OrdersTableManager,  # its recovery takes no record put after a clear
    # Keys and values are bytes on the wire: keys are plain UTF-8 ids (so table_route hashes the
    # same bytes as every producer), values are our JSON envelopes, parsed in domain/.
    key_serializer="raw",
    value_serializer="raw",
    topic_partitions=settings.topic_partitions,
    topic_replication_factor=settings.topic_replication,
    # Faust's 60 s left a killed worker's partitions orphaned for a minute; with 6 s (the broker's
    # group.min.session.timeout.ms) a kill -9 fails over in about 10 s.
    broker_session_timeout=6.0,
    broker_heartbeat_interval=1.5,
    consumer_auto_offset_reset="earliest",
    table_standby_replicas=settings.standby_replicas,
    producer_acks=-1,
    **performance.PRODUCER | {"producer_linger": settings.producer_linger_ms / 1000},
    **performance.CONSUMER,
    loghandlers=[ErrorsToHealthLog()],
    monitor=metrics.faust_monitor(),  # Faust's Prometheus sensor, served by GET /metrics
    # Faust's /table and /router pages read tables through table_route (500 on a dead owner,
    # raw bytes out): the read side is views/ instead.
    web_tables_enabled=False,
    web_router_enabled=False,
    web_application_options={
        "middlewares": [tracing.traced_writes, json_errors],
        "client_max_size": 256 * 1024,
    },
)
