"""Dead letters by DLQ id: the record, where it sits on ``orders.dlq``, and its redrive."""

from __future__ import annotations

from domain.dlq import Entry
from tables.store import JsonTable

dead_letters = JsonTable("dead-letters", Entry, "DLQ records and their redrive, by DLQ id")
