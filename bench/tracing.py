"""``python -m bench.tracing [N]``: what tracing adds to one record, off and on (no broker).

Times the shell's hooks as one record meets them: a consumer span from the record's headers
around a producer span that injects its context into the next record's headers. "on" records
every span into a BatchSpanProcessor (as ``console``/``otlp`` do) whose exporter drops them, so
the number is the worker's own cost, not the exporter's.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence

from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult

from app.observability import tracing

HEADERS = [("traceparent", b"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")]


class Dropped(SpanExporter):
    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        return SpanExportResult.SUCCESS


def one_record() -> None:
    with tracing.consuming(HEADERS, "orders.events", "StockReserved", 1, 42) as span:
        with tracing.producing("payments.commands", "AuthorizePayment") as headers:
            assert headers is None or "traceparent" in headers
        tracing.finished(span, "applied")


def per_record_us(n: int) -> float:
    for _ in range(min(n, 1000)):  # warm up
        one_record()
    start = time.perf_counter()
    for _ in range(n):
        one_record()
    return (time.perf_counter() - start) / n * 1e6


def main(n: int = 100_000) -> None:
    tracing.use(None)
    off = per_record_us(n)
    provider = TracerProvider()
    provider.add_span_processor(BatchSpanProcessor(Dropped(), max_queue_size=n * 2))
    tracing.use(provider)
    on = per_record_us(n)
    provider.shutdown()
    tracing.use(None)
    print(f"tracing off: {off:.2f} µs per record; on: {on:.2f} µs per record ({n} records)")


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:2]))
