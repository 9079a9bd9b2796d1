"""Stable pages: every item once, in order; a cursor this API did not give is refused."""

from __future__ import annotations

from typing import Any

import pytest

from domain import paging


def test_paging_walks_every_item_once_in_order() -> None:
    items = [{"id": f"u{i:02d}", "amount": i % 7} for i in range(23)]
    key = lambda i: (-i["amount"], i["id"])  # noqa: E731
    seen, cursor = [], None
    while True:
        shown, cursor = paging.page(items, key, 5, cursor)
        seen += shown
        if cursor is None:
            break
    assert seen == sorted(items, key=key)


@pytest.mark.parametrize("cursor", ["!!!", "bm90IGpzb24", paging.encode(("a",)).replace("W", "e")])
def test_bad_cursors_are_a_clear_error(cursor: str) -> None:
    with pytest.raises(paging.BadCursor):
        rows: list[dict[str, Any]] = [{"id": "x", "amount": 1}]
        paging.page(rows, lambda i: (-i["amount"], i["id"]), 5, cursor)
