"""The shell around every agent's records: audit, dead-letter, and repair of misplaced keys."""

from __future__ import annotations

import logging
import socket

import faust

from app.faust_app import app
from app.observability import audit, counters
from app.partitioning import expected_partition
from app.topics import orders_dlq_topic
from domain.dlq import FailureReason
from domain.envelope import Invalid, Parsed
from domain.intake import Received, audit_line, dead_letter
from domain.types import now_utc

log = logging.getLogger(__name__)
HOST = socket.gethostname()


def received(event: faust.EventT) -> Received:
    msg = event.message
    return Received(msg.topic, msg.partition, msg.offset, msg.key, msg.value)


def accept(rec: Received, parsed: Parsed) -> None:
    counters.incr("received")
    counters.incr("valid")
    audit(audit_line(rec, parsed, now_utc()))


async def dead_letter_it(
    rec: Received, reason: FailureReason, error: str, result: Parsed | Invalid
) -> None:
    """Keep what cannot be processed: one audit line, one DLQ record keyed by the original key."""
    counters.incr("received")
    counters.incr("invalid")
    counters.incr(f"dlq.{reason}")
    audit(audit_line(rec, result, now_utc(), deadLettered=reason))
    record = dead_letter(rec, reason, error, group=app.conf.id, host=HOST, now=now_utc())
    await orders_dlq_topic.send(key=rec.key, value=record.model_dump_json().encode())


async def reject(rec: Received, invalid: Invalid) -> None:
    await dead_letter_it(rec, invalid.reason, invalid.error, invalid)


async def forward_if_misplaced(
    topic: faust.TopicT, rec: Received, parsed: Parsed, key: str
) -> bool:
    """A record keyed or partitioned unlike Kafka's default partitioner (kcat's CRC32, a null or
    wrong key) is copied once to the partition its key belongs to, so state and routing agree."""
    want = key.encode()
    target = expected_partition(topic, want)
    if target is None or (rec.key == want and rec.partition == target):
        return False
    counters.incr("received")
    counters.incr("forwarded")
    audit(audit_line(rec, parsed, now_utc(), forwardedTo=target))
    log.warning(
        "misplaced record %s/%s@%s key=%r → partition %s",
        rec.topic,
        rec.partition,
        rec.offset,
        rec.key,
        target,
    )
    await topic.send(
        key=want,
        value=rec.value,
        partition=target,
        headers={"repartitioned-from": f"{rec.partition}/{rec.offset}".encode()},
    )
    return True
