"""The AsyncAPI 3.0 document of the topics, built from what the code declares: the topic specs
(``app.topics.SPECS``), the message models (``domain.messages``), the envelope, the agents (what
each reads, and its ``@sends``) and the HTTP operations that write (their ``sends``)."""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from typing import Any

from pydantic.json_schema import models_json_schema

from app.topics import TopicSpec
from domain.dead_letter import DeadLetter
from domain.envelope import CURRENT_VERSION, Envelope
from domain.messages import MESSAGE_TYPES, Message

KAFKA = "0.5.0"  # the Kafka bindings' version
SCHEMAS = "#/components/schemas/{model}"
DLQ = "orders.dlq"


@dataclass(frozen=True)
class Actor:
    """One who reads a topic (``reads``) or writes messages (``sends``, by eventType)."""

    name: str
    description: str
    reads: str | None = None
    sends: tuple[str, ...] = ()
    group: str | None = None  # the consumer group it reads in (None: outside any group)


@dataclass(frozen=True)
class Deployment:
    title: str
    version: str
    bootstrap: str
    prefix: str
    partitions: int
    replicas: int
    retention_ms: dict[str, int]  # by topic name


def document(specs: tuple[TopicSpec, ...], actors: list[Actor], at: Deployment) -> dict[str, Any]:
    schemas = _schemas()
    messages = {name: _message(name, cls) for name, cls in MESSAGE_TYPES.items()}
    messages["DeadLetter"] = _dead_letter()
    channels = {spec.name: _channel(spec, at) for spec in specs}
    operations: dict[str, Any] = {}
    for actor in actors:
        if actor.reads is not None and actor.reads in channels:
            operations[f"{actor.name}.receive"] = _operation(actor, "receive", actor.reads, None)
        for topic in sorted({_topic_of(t) for t in actor.sends}):
            sent = tuple(t for t in actor.sends if _topic_of(t) == topic)
            operations[f"{actor.name}.send.{topic}"] = _operation(actor, "send", topic, sent)
    return {
        "asyncapi": "3.0.0",
        "info": {"title": at.title, "version": at.version, "description": _about(at)},
        "defaultContentType": "application/json",
        "servers": {
            "local": {
                "host": at.bootstrap,
                "protocol": "kafka",
                "description": "the broker `make demo` starts (localkafka)",
            }
        },
        "channels": channels,
        "operations": operations,
        "components": {"messages": messages, "schemas": schemas},
    }


def _about(at: Deployment) -> str:
    prefix = f"`{at.prefix}`" if at.prefix else "none"
    return (
        "The topics of the order system. Every business message travels in the same JSON "
        f"envelope (`eventId`, `eventType`, `timestamp`, `version` {CURRENT_VERSION}, "
        "`correlationId`, `causationId`, `data`), keyed by the id its topic is partitioned on; "
        "`data` is the message named by `eventType`. A 1.x reader ignores fields it does not "
        f"know. Topic names carry `ORDERS_TOPIC_PREFIX` (here: {prefix}). Not shown: the "
        "internal topics (Faust's changelogs and repartition, the DLQ's by-id index)."
    )


def _topic_of(event_type: str) -> str:
    return DLQ if event_type == "DeadLetter" else MESSAGE_TYPES[event_type].stream


def _schemas() -> dict[str, Any]:
    models: list[Any] = [(cls, "serialization") for cls in MESSAGE_TYPES.values()]
    models += [(DeadLetter, "serialization"), (Envelope, "validation")]
    _, top = models_json_schema(models, ref_template=SCHEMAS)
    defs: dict[str, Any] = top["$defs"]
    return dict(sorted(defs.items()))


def _message(name: str, cls: type[Message]) -> dict[str, Any]:
    envelope = {"$ref": SCHEMAS.format(model="Envelope")}
    typed = {
        "type": "object",
        "properties": {
            "eventType": {"const": name},
            "version": {"type": "string", "pattern": r"^1\.\d+$"},
            "data": {"$ref": SCHEMAS.format(model=name)},
        },
    }
    return {
        "name": name,
        "title": name,
        "summary": _first_line(cls.__doc__) or f"{name} on {cls.stream}",
        "contentType": "application/json",
        "payload": {"allOf": [envelope, typed]},
        "headers": _trace_headers(),
        "bindings": {
            "kafka": {
                "key": {"type": "string", "description": f"the {cls.key_field}"},
                "bindingVersion": KAFKA,
            }
        },
    }


def _dead_letter() -> dict[str, Any]:
    return {
        "name": "DeadLetter",
        "title": "DeadLetter",
        "summary": _first_line(DeadLetter.__doc__),
        "contentType": "application/json",
        "payload": {"$ref": SCHEMAS.format(model="DeadLetter")},
        "headers": {
            "type": "object",
            "properties": {
                h: {"type": "string"}
                for h in (
                    "dlq-id",
                    "dlq-reason",
                    "dlq-original-topic",
                    "dlq-original-position",
                    "dlq-retries",
                )
            },
        },
        "bindings": {
            "kafka": {
                "key": {"type": "string", "description": "the original key"},
                "bindingVersion": KAFKA,
            }
        },
    }


def _trace_headers() -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {
            "traceparent": {"type": "string", "description": "W3C trace context, when tracing"},
            "tracestate": {"type": "string"},
            "redriven-from": {"type": "string", "description": "on a record the DLQ redrove"},
        },
    }


def _channel(spec: TopicSpec, at: Deployment) -> dict[str, Any]:
    carried = [n for n, c in MESSAGE_TYPES.items() if c.stream == spec.name]
    if spec.name == DLQ:
        carried = ["DeadLetter"]
    config: dict[str, Any] = {
        "cleanup.policy": ["compact"] if spec.compacted else ["delete"],
        "retention.ms": at.retention_ms[spec.name],
    }
    return {
        "address": at.prefix + spec.name,
        "title": spec.name,
        "description": f"Keyed by {spec.key}; {at.partitions} partitions"
        + (", compacted (the latest value per key)" if spec.compacted else "")
        + ".",
        "messages": {n: {"$ref": f"#/components/messages/{n}"} for n in carried},
        "bindings": {
            "kafka": {
                "topic": at.prefix + spec.name,
                "partitions": at.partitions,
                "replicas": at.replicas,
                "topicConfiguration": config,
                "bindingVersion": KAFKA,
            }
        },
    }


def _operation(
    actor: Actor, action: str, topic: str, sent: tuple[str, ...] | None
) -> dict[str, Any]:
    channel = {"$ref": f"#/channels/{topic}"}
    op: dict[str, Any] = {
        "action": action,
        "channel": channel,
        "summary": f"{actor.name} {'reads' if action == 'receive' else 'writes'} {topic}",
        "description": actor.description,
    }
    if sent is not None:
        op["messages"] = [{"$ref": f"#/channels/{topic}/messages/{m}"} for m in sent]
    if action == "receive" and actor.group:
        group = {"type": "string", "enum": [actor.group]}
        op["bindings"] = {"kafka": {"groupId": group, "bindingVersion": KAFKA}}
    return op


def _first_line(doc: str | None) -> str:
    return inspect.cleandoc(doc or "").split("\n\n")[0].replace("\n", " ")
