"""Event sourcing: the read side rebuilt from the topics with the agents' own fold functions.

``Projections`` takes the records of ``orders.events`` and ``inventory.commands`` in each
partition's offset order (already parsed, misplaced and dead-lettered ones left out by the
caller) and folds them exactly as the tracker, the aggregator and the inventory agent do.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import orjson

from domain import aggregates, inventory, order_status
from domain.aggregates import UserAggregate
from domain.envelope import Parsed
from domain.inventory import StockLevel
from domain.messages import InventoryCommand, OrderMessage
from domain.order_status import OrderStatus


@dataclass
class Projections:
    statuses: dict[str, OrderStatus] = field(default_factory=dict)
    users: dict[str, UserAggregate] = field(default_factory=dict)
    settled: dict[str, aggregates.Settled] = field(default_factory=dict)  # the user-orders ledger
    stock: dict[str, StockLevel] = field(default_factory=dict)
    ledger: dict[str, inventory.Outcome] = field(default_factory=dict)
    counted: int = 0  # records the aggregator's fold took: the position of the next one

    def order_event(self, parsed: Parsed, *, status: bool = True, totals: bool = True) -> None:
        """One valid ``orders.events`` record: the tracker's fold, then the aggregator's (each
        unless that agent dead-lettered the record), as if every record before it were
        committed: an order settled earlier is known from the ledger."""
        body = parsed.body
        assert isinstance(body, OrderMessage)
        if status:
            self.statuses[body.orderId] = order_status.evolve(
                self.statuses.get(body.orderId), parsed
            )
        if totals and parsed.envelope.eventType in aggregates.COUNTED:
            user, key = (
                self.users.get(body.userId),
                aggregates.ledger_key(body.userId, body.orderId),
            )
            ledger = self.settled.get(key)
            at, self.counted = self.counted, self.counted + 1
            folded = aggregates.evolve(user, parsed, at=at, committed=at, ledger=ledger)
            if folded.settled is not None:
                self.settled[key] = folded.settled
            self.users[body.userId] = folded.state

    def stock_command(self, parsed: Parsed, offset: int) -> None:
        """One valid ``inventory.commands`` record at ``offset`` of its partition."""
        body = parsed.body
        assert isinstance(body, InventoryCommand)
        key = inventory.settlement_key(body)
        books = inventory.Books(self.stock.get(body.sku), self.ledger.get(key) if key else None)
        after, _ = inventory.decide(books, parsed, at=offset)
        if key is not None and after.settled is not None:
            self.ledger[key] = after.settled
        if after.level is not None:
            self.stock[body.sku] = after.level

    def public(self) -> dict[str, dict[str, Any]]:
        """What the read side answers for each key: ``GET /orders/{id}/status`` (and
        ``/orders``), ``GET /aggregates/{userId}``, ``GET /inventory/{sku}``."""
        public: dict[str, dict[str, Any]] = _normal({
            "orders": {k: v.public() for k, v in sorted(self.statuses.items())},
            "users": {
                k: v.totals.model_dump(mode="json", exclude={"stream", "key_field"})
                for k, v in sorted(self.users.items())
            },
            "stock": {k: v.public() for k, v in sorted(self.stock.items())},
        })  # fmt: skip
        return public


def _normal(value: Any) -> Any:
    """Through JSON and back, as an HTTP answer would be."""
    return orjson.loads(orjson.dumps(value))


def differences(replayed: dict[str, dict[str, Any]], live: dict[str, dict[str, Any]]) -> list[str]:
    """Every key whose value differs, or that one side lacks: ``orders/o-1: status CONFIRMED
    (replay) != CANCELLED (live)``."""
    out = []
    for part in sorted(set(replayed) | set(live)):
        mine, theirs = replayed.get(part, {}), _normal(live.get(part, {}))
        for key in sorted(set(mine) | set(theirs)):
            a, b = mine.get(key), theirs.get(key)
            if a == b:
                continue
            if a is None or b is None:
                out.append(f"{part}/{key}: only in {'live' if a is None else 'replay'}")
                continue
            fields = sorted(f for f in set(a) | set(b) if a.get(f) != b.get(f))
            shown = "; ".join(f"{f} {a.get(f)!r} (replay) != {b.get(f)!r} (live)" for f in fields)
            out.append(f"{part}/{key}: {shown}")
    return out
