"""The dead-letter record: the context it keeps, ids a redelivery keeps, headers, payloads."""

from __future__ import annotations

from datetime import UTC, datetime

import orjson
import pytest

from app.runtime.received import Received
from domain import dead_letter
from domain.dead_letter import payload_bytes, payload_text
from domain.envelope import Invalid, parse
from tests.unit.domain.test_dlq import entry


def test_payload_bytes_undo_payload_text() -> None:
    for raw in (b'{"a": 1}', b"\xff\xfe\x00binary", b"", b"base64:not really"):
        assert payload_bytes(payload_text(raw)) == raw


def test_headers_say_why() -> None:
    headers = dead_letter.headers_of(entry(4, "timeout").letter)
    assert headers["dlq-reason"] == b"timeout"
    assert headers["dlq-original-position"] == b"0/4"
    assert headers["dlq-original-topic"] == b"orders.commands"


NOW = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)


def test_dead_letter_keeps_context_and_is_deterministic() -> None:
    rec = Received("orders.events", 2, 41, b"o-9", b"{broken")
    result = parse(rec.value, "orders.events")
    assert isinstance(result, Invalid)
    one = dead_letter.dead_letter(
        rec, result.reason, result.error, group="orders", host="h1", now=NOW
    )
    two = dead_letter.dead_letter(
        rec, result.reason, result.error, group="orders", host="h2", now=NOW
    )
    assert one.id == two.id
    doc = orjson.loads(one.model_dump_json())
    assert doc["originalTopic"] == "orders.events" and doc["originalPartition"] == 2
    assert doc["originalOffset"] == 41 and doc["originalKey"] == "o-9"
    assert doc["originalPayload"] == "{broken" and doc["failureReason"] == "deserialization"
    assert set(doc) == {
        "id",
        "timestamp",
        "originalTopic",
        "originalPartition",
        "originalOffset",
        "originalKey",
        "originalPayload",
        "truncatedFrom",
        "failureReason",
        "agent",
        "errorMessage",
        "retryCount",
        "consumerGroup",
        "processingHost",
    }


@pytest.mark.parametrize(
    ("raw", "text"), [(b"abc", "abc"), (b"\xff\x00", "base64:/wA="), (None, "")]
)
def test_payload_is_kept_losslessly(raw: bytes | None, text: str) -> None:
    assert payload_text(raw) == text
