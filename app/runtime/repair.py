"""A record keyed or placed unlike the topic's partitioner says is copied once to where its key
belongs (``misplaced``): state and routing then agree."""

from __future__ import annotations

import logging

import faust

from app.observability import tracing
from app.observability.logs import audit, counters
from app.runtime.failures import until_done
from app.runtime.partitioning import expected_partition
from app.runtime.received import Received, audit_line
from domain.envelope import Parsed
from domain.types import now_utc

log = logging.getLogger(__name__)


async def misplaced(
    topic: faust.TopicT, rec: Received, parsed: Parsed, key: str, *, repair: bool
) -> bool:
    """A record keyed or partitioned unlike Kafka's default partitioner (kcat's CRC32, a null or
    wrong key) is copied once to the partition its key belongs to, so state and routing agree."""
    want = key.encode()
    target = expected_partition(topic, want)
    if target is None or (rec.key == want and rec.partition == target):
        return False
    if repair:
        counters.incr("received")
        counters.incr("forwarded")
        audit(audit_line(rec, parsed, now_utc(), forwardedTo=target))
        log.warning("misplaced record %s/%s@%s key=%r → partition %s", rec.topic, rec.partition,
                    rec.offset, rec.key, target)  # fmt: skip
        origin = f"{rec.partition}/{rec.offset}".encode()
        headers = {**tracing.current_headers(), "repartitioned-from": origin}
        await until_done(
            f"forward {rec.topic}/{rec.partition}@{rec.offset}",
            lambda: topic.send(key=want, value=rec.value, partition=target, headers=headers),
        )  # fmt: skip
    return True
