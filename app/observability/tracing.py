"""OpenTelemetry traces across workers: W3C trace context in Kafka headers, exporter by setting."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import Literal

from aiohttp import web
from opentelemetry import propagate, trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter, SpanExporter
from opentelemetry.trace import Span, SpanKind, Status, StatusCode

Exporter = Literal["none", "console", "otlp"]
Headers = Mapping[str, bytes] | Sequence[tuple[str, bytes]] | None
# None while tracing is off: every hook below is then a shared no-op (no span, no header).
_tracer: trace.Tracer | None = None
_OFF: AbstractContextManager[None] = nullcontext()


def configure(exporter: Exporter) -> None:
    """At import of the app: ``none`` traces nothing; ``console`` writes one JSON line per span to
    stdout (the worker's log); ``otlp`` posts them to ``OTEL_EXPORTER_OTLP_ENDPOINT``."""
    if exporter == "none":
        use(None)
        return
    out: SpanExporter
    if exporter == "console":
        out = ConsoleSpanExporter(formatter=_one_line)
    else:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        out = OTLPSpanExporter()  # endpoint, headers, timeout: the standard OTEL_… variables
    provider = TracerProvider(resource=_resource())
    provider.add_span_processor(BatchSpanProcessor(out))
    use(provider)


def use(provider: trace.TracerProvider | None) -> None:
    """Trace through ``provider`` (a test's in-memory one), or not at all with None."""
    global _tracer
    _tracer = provider.get_tracer("kafka-orders") if provider is not None else None


def _resource() -> Resource:
    # OTEL_SERVICE_NAME / OTEL_RESOURCE_ATTRIBUTES win when set: Resource.create reads them.
    own: dict[str, str | int] = {"host.name": socket.gethostname(), "process.pid": os.getpid()}
    if not os.environ.get("OTEL_SERVICE_NAME"):
        own["service.name"] = "kafka-orders"
    return Resource.create(own)


def _one_line(span: ReadableSpan) -> str:
    return str(span.to_json(indent=None)) + os.linesep


READS = frozenset({"GET", "HEAD", "OPTIONS"})


@web.middleware
async def traced_writes(request: web.Request, handler):  # type: ignore[no-untyped-def]
    """A server span per write request (``POST /orders`` …), child of the client's own
    ``traceparent`` when it sends one: the root of the trace that follows its message through
    every worker. Reads are not traced (a long-poll would be one long span per order)."""
    if _tracer is None or request.method in READS:
        return await handler(request)
    resource = request.match_info.route.resource if request.match_info.route else None
    route = resource.canonical if resource is not None else request.path
    with _tracer.start_as_current_span(
        f"{request.method} {route}",
        context=propagate.extract(request.headers),
        kind=SpanKind.SERVER,
        attributes={"http.request.method": request.method, "http.route": route},
    ) as span:
        response = await handler(request)
        span.set_attribute("http.response.status_code", response.status)
        if response.status >= 500:
            span.set_status(Status(StatusCode.ERROR))
        return response


def consuming(
    headers: Headers, topic: str, event_type: str | None, partition: int, offset: int
) -> AbstractContextManager[Span | None]:
    """A consumer span around the handling of one record, child of the context its headers carry
    (a new trace when they carry none); current for everything the handler sends."""
    if _tracer is None:
        return _OFF
    carrier = _carrier(headers)
    return _tracer.start_as_current_span(
        f"process {topic} {event_type or '(invalid)'}",
        context=propagate.extract(carrier) if carrier else None,
        kind=SpanKind.CONSUMER,
        attributes={
            "messaging.system": "kafka",
            "messaging.operation.type": "process",
            "messaging.destination.name": topic,
            "messaging.kafka.destination.partition": partition,
            "messaging.kafka.message.offset": offset,
        },
    )


def producing(
    topic: str, event_type: str, message_id: object = None
) -> AbstractContextManager[dict[str, bytes] | None]:
    """A producer span for one send; yields the headers that carry it (None while off)."""
    if _tracer is None:
        return _OFF
    return _producing(_tracer, topic, event_type, message_id)


@contextmanager
def _producing(
    tracer: trace.Tracer, topic: str, event_type: str, message_id: object
) -> Iterator[dict[str, bytes]]:
    with tracer.start_as_current_span(
        f"send {topic} {event_type}",
        kind=SpanKind.PRODUCER,
        attributes={
            "messaging.system": "kafka",
            "messaging.operation.type": "send",
            "messaging.destination.name": topic,
            **({} if message_id is None else {"messaging.message.id": str(message_id)}),
        },
    ):
        yield current_headers()


def current_headers() -> dict[str, bytes]:
    """The current trace context as Kafka headers (``traceparent``, ``tracestate``)."""
    return {name: value.encode() for name, value in http_headers().items()}


def http_headers() -> dict[str, str]:
    """The current trace context as HTTP headers (a request forwarded to a key's owner)."""
    carrier: dict[str, str] = {}
    if _tracer is not None:
        propagate.inject(carrier)
    return carrier


def finished(span: Span | None, outcome: str) -> None:
    """Record how the shell ended with a record; a dead letter marks the span as an error."""
    if span is None:
        return
    span.set_attribute("orders.outcome", outcome)
    if outcome == "dead-lettered":
        span.set_status(Status(StatusCode.ERROR, "dead-lettered"))


def _carrier(headers: Headers) -> dict[str, str]:
    """Kafka headers (aiokafka: a sequence of (str, bytes); a test: a dict) as text, keeping only
    the propagator's fields."""
    if not headers:
        return {}
    pairs = headers.items() if isinstance(headers, Mapping) else headers
    fields = propagate.get_global_textmap().fields
    return {
        name: value.decode("latin-1") if isinstance(value, bytes) else str(value)
        for name, value in pairs
        if name in fields and value is not None
    }
