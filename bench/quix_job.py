"""Quix Streams on the stateful anchor job: parse, per-user totals in its RocksDB state, produce.

``python -m bench.quix_job BOOTSTRAP INPUT OUTPUT GROUP STATE_DIR`` runs until killed.
"""

from __future__ import annotations

import sys
from typing import Any

from quixstreams import Application

from bench.kafka import librdkafka
from bench.workload import add


def main(bootstrap: str, source: str, sink: str, group: str, state_dir: str) -> None:
    security = librdkafka()
    app = Application(
        broker_address=bootstrap,
        consumer_extra_config=security,  # ORDERS_KAFKA_* (python -m bench --secure)
        producer_extra_config={"acks": "all", **security},
        consumer_group=group,
        auto_offset_reset="earliest",
        state_dir=state_dir,
    )
    inp = app.topic(source, value_deserializer="json")
    out = app.topic(sink, value_serializer="json")

    def totals(order: dict[str, Any], state: Any) -> dict[str, Any]:
        new = add(state.get("totals"), order)
        state.set("totals", new)
        return new

    app.dataframe(inp).apply(totals, stateful=True).to_topic(out)
    app.run()


if __name__ == "__main__":
    main(*sys.argv[1:6])
