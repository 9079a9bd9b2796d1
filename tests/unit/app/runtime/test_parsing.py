"""A record is parsed once for all of its topic's readers, and only a record's own bytes and
topic decide what it parses to."""

from __future__ import annotations

import orjson

from app.runtime import parsing
from domain.envelope import Invalid, Parsed, parse


def _record(event_type: str = "OrderConfirmed") -> bytes:
    return orjson.dumps({
        "eventId": "9f1c2d3e-0000-4000-8000-000000000001", "eventType": event_type,
        "timestamp": "2026-12-04T10:00:00Z", "version": "1.0", "correlationId": "o-1",
        "data": {"orderId": "o-1", "userId": "u-1", "amount": "10.00",
                 "confirmedAt": "2026-12-04T10:00:00Z"},
    })  # fmt: skip


def test_the_readers_of_one_record_share_its_parse() -> None:
    raw = _record()
    first = parsing.parsed(raw, "orders.events")
    assert isinstance(first, Parsed)
    assert parsing.parsed(bytes(bytearray(raw)), "orders.events") is first  # equal bytes
    assert first == parse(raw, "orders.events")


def test_the_topic_is_part_of_what_is_kept() -> None:
    raw = _record()
    assert isinstance(parsing.parsed(raw, "orders.events"), Parsed)
    refused = parsing.parsed(raw, "payments.commands")  # not a type of that topic
    assert isinstance(refused, Invalid) and "unknown type" in refused.error


def test_what_is_kept_is_bounded_and_a_tombstone_is_never_kept() -> None:
    for n in range(parsing.PARSED_KEPT + 10):
        parsing.parsed(b'{"n": %d}' % n, "orders.events")
    assert len(parsing._parsed) <= parsing.PARSED_KEPT
    assert isinstance(parsing.parsed(None, "orders.events"), Invalid)
