"""Stable pages over a sorted list: ``page(items, sort_key, limit, cursor) -> (items, cursor)``.

The cursor is the sort key of the last item shown, so the next page starts right after it even
if items were added meanwhile (no offset drift); it is opaque to clients (base64url JSON).
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, TypeVar

import orjson

T = TypeVar("T")
SortKey = tuple[Any, ...]


class BadCursor(ValueError):
    pass


def encode(key: SortKey) -> str:
    return base64.urlsafe_b64encode(orjson.dumps(list(key))).decode().rstrip("=")


def decode(cursor: str) -> SortKey:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        value = orjson.loads(raw)
    except (ValueError, orjson.JSONDecodeError) as exc:
        raise BadCursor(f"cursor {cursor!r} is not one this API gave") from exc
    if not isinstance(value, list):
        raise BadCursor(f"cursor {cursor!r} is not one this API gave")
    return tuple(value)


def latest_first(moment: str | None) -> float:
    """Sort key of an ISO 8601 time, latest first (and no time after every time)."""
    return -datetime.fromisoformat(moment).timestamp() if moment else 0.0


def page(
    items: Sequence[T], sort_key: Callable[[T], SortKey], limit: int, cursor: str | None
) -> tuple[list[T], str | None]:
    """Items after ``cursor`` in ``sort_key`` order, at most ``limit``, and the next cursor."""
    ordered = sorted(items, key=sort_key)
    if cursor is not None:
        after = decode(cursor)
        try:
            ordered = [i for i in ordered if sort_key(i) > after]
        except TypeError as exc:
            raise BadCursor(f"cursor {cursor!r} does not fit this sort") from exc
    shown = ordered[:limit]
    more = len(ordered) > limit
    return shown, encode(sort_key(shown[-1])) if more and shown else None
