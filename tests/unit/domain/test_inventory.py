"""Stock per sku: reserved, released and committed once per order; restocks; the ledger."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from domain import inventory
from domain.envelope import derive_event_id
from domain.messages import (
    CatalogItem,
    CommitStock,
    ReleaseStock,
    ReserveStock,
    RestockItem,
    StockReserved,
    StockUnavailable,
)
from tests.support.events import event, event_id


def stock(available: int = 10) -> inventory.StockLevel:
    level, _ = inventory.restock(
        None,
        RestockItem(sku="kb", quantity=available, name="Keyboard", unitPrice="89.90"),
        "r-1",
        at=0,
    )
    return level


def reserve_cmd(order_id: str = "o-1", qty: int = 3) -> ReserveStock:
    return ReserveStock(orderId=order_id, userId="u-1", sku="kb", quantity=qty)


def release_cmd(order_id: str = "o-1") -> ReleaseStock:
    return ReleaseStock(orderId=order_id, userId="u-1", sku="kb", quantity=3)


def test_reserve_release_commit_keep_the_books() -> None:
    level, answer = inventory.reserve(stock(10), reserve_cmd("o-1", 3), at=1)
    assert isinstance(answer, StockReserved) and (level.available, level.reserved) == (7, 3)
    level, answer = inventory.reserve(level, reserve_cmd("o-2", 4), at=2)
    level = inventory.release(level, release_cmd("o-1"), at=3)
    cmd = CommitStock(orderId="o-2", userId="u-1", sku="kb", quantity=4)
    level = inventory.commit(level, cmd, at=4)
    assert (level.available, level.reserved, level.sold) == (6, 0, 4)
    assert 10 - level.available - level.reserved == level.sold
    assert level.reservations == {} and level.position == 4


def test_redelivered_commands_change_nothing() -> None:
    level, _ = inventory.reserve(stock(10), reserve_cmd(), at=1)
    again, answer = inventory.reserve(level, reserve_cmd(), at=1)
    assert again == level and isinstance(answer, StockReserved) and answer.quantity == 3
    released = inventory.release(level, release_cmd(), at=2)
    assert inventory.release(released, release_cmd(), at=2) == released
    assert released.available == 10
    # a duplicate release at a new offset finds no hold: nothing to give back twice
    assert inventory.release(released, release_cmd(), at=3) == released


def test_a_settled_order_gets_nothing_from_a_late_duplicate() -> None:
    level, _ = inventory.reserve(stock(10), reserve_cmd(), at=1)
    released = inventory.release(level, release_cmd(), at=2)
    for ending in ("released", "committed"):
        assert inventory.reserve(released, reserve_cmd(), at=9, ledger=ending) == (released, None)
    # without the ledger the duplicate would hold stock again: the ledger is what stops it
    held, answer = inventory.reserve(released, reserve_cmd(), at=9)
    assert isinstance(answer, StockReserved) and held.reserved == 3


def test_a_refused_order_is_refused_again_even_after_stock_is_freed() -> None:
    """A duplicate ReserveStock (the saga re-sending its last step) at a new offset, after stock
    was freed: its answer's id is the refusal's, so downstream would drop a StockReserved as a
    repeat and the stock would stay held for good. The ledger's ``unavailable`` prevents it."""
    level, answer = inventory.reserve(stock(2), reserve_cmd("o-9", 3), at=1)
    assert isinstance(answer, StockUnavailable)
    restocked, _ = inventory.restock(
        level, RestockItem(sku="kb", quantity=5, name="Keyboard", unitPrice="89.90"), "r-2", at=2
    )
    again, answer = inventory.reserve(restocked, reserve_cmd("o-9", 3), at=3, ledger="unavailable")
    assert isinstance(answer, StockUnavailable) and again == restocked


def test_a_redelivered_reserve_that_found_no_stock_is_answered_the_same() -> None:
    level, answer = inventory.reserve(stock(2), reserve_cmd(qty=3), at=1)
    assert isinstance(answer, StockUnavailable) and level.position == 0  # nothing written
    restocked, _ = inventory.restock(
        level, RestockItem(sku="kb", quantity=5, name="Keyboard", unitPrice="89.90"), "r-2", at=2
    )
    again, answer = inventory.reserve(restocked, reserve_cmd(qty=3), at=1)  # redelivered
    assert isinstance(answer, StockUnavailable) and again == restocked


def test_unavailable_and_unknown_skus() -> None:
    level, answer = inventory.reserve(stock(2), reserve_cmd(qty=3), at=1)
    assert isinstance(answer, StockUnavailable) and answer.available == 2 and level.available == 2
    none, answer = inventory.reserve(None, reserve_cmd(), at=1)
    assert none is None and isinstance(answer, StockUnavailable) and answer.available == 0


def test_restock_is_idempotent_per_event_and_reports_catalog_changes() -> None:
    cmd = RestockItem(sku="kb", quantity=5, name="Keyboard", unitPrice="89.90")
    level, entry = inventory.restock(None, cmd, "r-1", at=0)
    assert entry == CatalogItem(sku="kb", name="Keyboard", unitPrice=Decimal("89.90"))
    same, entry = inventory.restock(level, cmd, "r-1", at=1)
    assert same == level and entry is None
    replayed, entry = inventory.restock(level, cmd, "r-9", at=0)
    assert replayed == level and entry is None
    more, entry = inventory.restock(level, cmd, "r-2", at=2)
    assert more.available == 10 and entry is None
    _, entry = inventory.restock(
        more, cmd.model_copy(update={"unitPrice": Decimal("79.90")}), "r-3", at=3
    )
    assert entry is not None and entry.unitPrice == Decimal("79.90")


def books(level: inventory.StockLevel | None, settled: inventory.Outcome | None = None) -> Any:
    return inventory.Books(level, settled)


@pytest.mark.parametrize(
    ("command", "before", "settled", "sent"),
    [
        # a first reservation: held, answered, nothing settled yet
        (reserve_cmd(), books(stock(10)), None, ["StockReserved"]),
        # refused: answered, and the ledger keeps the refusal
        (reserve_cmd(qty=30), books(stock(10)), "unavailable", ["StockUnavailable"]),
        # a duplicate of an order already released: no answer, the first ending stays
        (reserve_cmd(), books(stock(10), "released"), "released", []),
        # release and commit settle the order's request, silently
        (release_cmd(), books(stock(10)), "released", []),
        (CommitStock(orderId="o-1", userId="u-1", sku="kb", quantity=3), books(stock(10)),
         "committed", []),
        # the first ending is kept whatever comes after it
        (release_cmd(), books(stock(10), "committed"), "committed", []),
    ],
)  # fmt: skip
def test_a_stock_command_is_answered_and_the_ledger_keeps_the_first_ending(
    command: Any, before: inventory.Books, settled: str | None, sent: list[str]
) -> None:
    after, out = inventory.decide(before, event(command, "s"), at=5)
    assert after.settled == settled and [e.eventType for e in out] == sent
    assert all(e.eventId == derive_event_id(str(event_id("s")), "answer") for e in out)
    assert inventory.settlement_key(command) == "kb/o-1"


def test_a_restock_that_changes_the_catalog_sends_its_entry_and_settles_nothing() -> None:
    cmd = RestockItem(sku="kb", quantity=5, name="Keyboard", unitPrice="89.90")
    after, out = inventory.decide(books(None), event(cmd, "r"), at=0)
    assert after.level is not None and after.level.available == 5 and after.settled is None
    assert [e.eventType for e in out] == ["CatalogItem"]
    assert out[0].eventId == derive_event_id(str(event_id("r")), "catalog")
    again, out = inventory.decide(after, event(cmd, "r2"), at=1)  # same name and price
    assert again.level is not None and again.level.available == 10 and out == []
    assert inventory.settlement_key(cmd) is None
