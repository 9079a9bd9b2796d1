"""The order handler's rules: ``place_order`` accepts or rejects; ``decide`` says what to send."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal

from pydantic import BaseModel

from domain.envelope import Envelope, Parsed, caused_by
from domain.messages import (
    CancelOrder,
    CartCleared,
    CatalogItem,
    Customer,
    OrderCancellationRequested,
    OrderCreated,
    OrderRejected,
    PlaceOrder,
    PricedItem,
)
from domain.users import UserProfile

# XTS is ISO 4217's code "reserved for testing": the simulated gateway is down for it.
CURRENCIES = frozenset({"EUR", "USD", "GBP", "XTS"})
MAX_LINES = 20
MAX_QUANTITY = 100
MAX_AMOUNT = Decimal("20000.00")


def _customer_problems(customer: UserProfile | None, user_id: str) -> list[str]:
    if customer is None:
        return [f"unknown customer {user_id}"]
    if not customer.active:
        return [f"customer {user_id} is not active"]
    return []


def _line_problems(command: PlaceOrder, catalog: Mapping[str, CatalogItem]) -> list[str]:
    problems = []
    if not command.items:
        problems.append("no items")
    if len(command.items) > MAX_LINES:
        problems.append(f"too many items: {len(command.items)} > {MAX_LINES}")
    seen: set[str] = set()
    for line in command.items:
        if line.sku in seen:
            problems.append(f"sku {line.sku} appears twice")
        seen.add(line.sku)
        if not 0 < line.quantity <= MAX_QUANTITY:
            problems.append(
                f"quantity of {line.sku} must be 1..{MAX_QUANTITY}, got {line.quantity}"
            )
        if line.sku not in catalog:
            problems.append(f"unknown sku {line.sku}")
    return problems


def place_order(
    command: PlaceOrder,
    customer: UserProfile | None,
    catalog: Mapping[str, CatalogItem],
    now: datetime,
) -> OrderCreated | OrderRejected:
    """OrderCreated carrying everything a consumer needs, or OrderRejected with every reason."""
    reasons = _customer_problems(customer, command.userId) + _line_problems(command, catalog)
    if command.currency not in CURRENCIES:
        reasons.append(f"unknown currency {command.currency!r}")
    items = [
        PricedItem(sku=line.sku, name=catalog[line.sku].name, quantity=line.quantity,
                   unitPrice=catalog[line.sku].unitPrice)
        for line in command.items
        if line.sku in catalog and 0 < line.quantity <= MAX_QUANTITY
    ]  # fmt: skip
    amount = sum((i.unitPrice * i.quantity for i in items), Decimal("0"))
    if amount > MAX_AMOUNT:
        reasons.append(f"amount {amount} exceeds the order limit {MAX_AMOUNT}")
    if reasons or customer is None:
        return OrderRejected(
            orderId=command.orderId, userId=command.userId, reasons=reasons, rejectedAt=now
        )
    return OrderCreated(
        orderId=command.orderId,
        userId=command.userId,
        customer=Customer(name=customer.name, email=customer.email, tier=customer.tier),
        items=items,
        amount=amount,
        currency=command.currency,
        createdAt=now,
    )


class Decision(BaseModel):
    """The envelopes sent for one PlaceOrder, sent again as they were when it comes again."""

    envelopes: list[Envelope]


def decide(
    decision: Decision | None,
    command: Parsed,
    *,
    customer: UserProfile | None,
    catalog: Mapping[str, CatalogItem],
    now: datetime,
) -> tuple[Decision | None, list[Envelope]]:
    """One command on orders.commands: a CancelOrder asks the saga to cancel; a PlaceOrder is
    decided once (created or rejected, and the cart cleared of what a checkout ordered), and a
    repeat sends the first decision again."""
    body, cause = command.body, command.envelope
    if isinstance(body, CancelOrder):
        request = OrderCancellationRequested(
            orderId=body.orderId, userId=body.userId, reason=body.reason
        )
        return decision, [caused_by(request, cause=cause, step="cancel-request")]
    assert isinstance(body, PlaceOrder)
    if decision is not None:
        return decision, decision.envelopes
    verdict = place_order(body, customer, catalog, now)
    out = [caused_by(verdict, cause=cause, step="decide")]
    if body.fromCart and isinstance(verdict, OrderCreated):
        cleared = CartCleared(userId=body.userId, orderId=body.orderId, items=body.items)
        out.append(caused_by(cleared, cause=cause, step="clear-cart"))
    return Decision(envelopes=out), out
