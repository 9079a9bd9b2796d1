"""The DLQ slice's rules: filed once, redriven once, selected, counted, triaged."""

from __future__ import annotations

from datetime import UTC, datetime

from domain import dead_letter, dlq
from domain.dead_letter import DeadLetter
from domain.dlq import Entry, RedriveRequested

AT = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


def entry(n: int, reason: str = "validation", redriven: bool = False) -> Entry:
    letter = DeadLetter(
        id=dead_letter.dead_letter_id("orders.commands", 0, n), timestamp=AT.replace(minute=n),
        originalTopic="orders.commands", originalPartition=0, originalOffset=n,
        originalKey="u-1", originalPayload="{}", failureReason=reason,
        errorMessage="x", consumerGroup="orders", processingHost="h",
    )  # fmt: skip
    return Entry(letter=letter, dlqPartition=1, dlqOffset=n, redrivenAt=AT if redriven else None)


def test_the_first_filing_wins() -> None:
    first = entry(1)
    assert dlq.file(None, first) == first
    assert dlq.file(first, first.model_copy(update={"dlqOffset": 9})) is None


def test_a_record_is_redriven_once() -> None:
    request = RedriveRequested(id=entry(1).letter.id, requestedBy="cli h", requestedAt=AT)
    done = dlq.redrive(entry(1), request)
    assert done is not None and done.redrivenAt == AT and done.redrivenBy == "cli h"
    assert dlq.redrive(done, request) is None  # a second request: nothing more
    assert dlq.redrive(None, request) is None  # an unknown id: nothing


def test_selection_by_id_reason_or_all() -> None:
    entries = [entry(1), entry(2, "processing"), entry(3, "timeout", redriven=True)]
    assert dlq.selected(entries, ids=[entries[1].letter.id]) == [entries[1]]
    assert dlq.selected(entries, reason="timeout") == [entries[2]]
    assert dlq.selected(entries, everything=True) == entries
    assert dlq.selected(entries) == []  # nothing named, nothing chosen
    assert [e.letter.originalOffset for e in dlq.newest_first(entries)] == [3, 2, 1]


def test_stats() -> None:
    got = dlq.stats([entry(1), entry(2), entry(3, "timeout", redriven=True)])
    assert got == {
        "total": 3, "byReason": {"timeout": 1, "validation": 2},
        "byTopic": {"orders.commands": 3}, "redriven": 1, "waiting": 2,
        "oldest": "2026-11-24T12:01:00.000Z",
    }  # fmt: skip


def test_a_payload_too_big_is_kept_in_part_and_not_redriven() -> None:
    from app.runtime.received import Received

    raw = b"x" * (dead_letter.PAYLOAD_KEPT + 10)
    rec = Received("orders.commands", 1, 7, b"k", raw)
    letter = dead_letter.dead_letter(rec, "validation", "too big", group="g", host="h", now=AT)
    assert (
        letter.truncatedFrom == len(raw) and len(letter.originalPayload) == dead_letter.PAYLOAD_KEPT
    )
    kept = Entry(letter=letter, dlqPartition=0, dlqOffset=0)
    assert not dlq.redrivable(kept)
    assert dlq.redrive(kept, RedriveRequested(id=letter.id, requestedBy="x")) is None
    rec = Received("t", 0, 1, None, b"{}")
    small = dead_letter.dead_letter(rec, "validation", "e", group="g", host="h", now=AT)
    assert small.truncatedFrom is None and small.originalPayload == "{}"


def test_a_redrive_asks_for_what_is_neither_redriven_nor_truncated() -> None:
    done = entry(1, redriven=True)
    cut = entry(2).model_copy(update={"letter": entry(2).letter.model_copy(
        update={"truncatedFrom": 2_000_000})})  # fmt: skip
    assert dlq.triage([entry(3), done, cut, entry(4)]) == {
        "requested": [entry(3).letter.id, entry(4).letter.id],
        "alreadyRedriven": [done.letter.id],
        "truncated": [cut.letter.id],
    }
    key, value = dlq.redrive_request("d-1", "cli host")
    request = RedriveRequested.model_validate_json(value)
    assert key == b"d-1" and (request.id, request.requestedBy) == ("d-1", "cli host")
