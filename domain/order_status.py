"""Order status projection: ``evolve(status, event) -> status``, idempotent per eventId."""

from __future__ import annotations

from typing import Any, Final, Literal

from pydantic import BaseModel, ConfigDict, Field

from domain.envelope import Parsed
from domain.messages import (
    Message,
    OrderCancelled,
    OrderConfirmed,
    OrderCreated,
    OrderMessage,
    OrderRejected,
    PaymentAuthorized,
    PaymentRejected,
    PaymentVoided,
    StockReserved,
)
from domain.types import UtcDatetime

OrderState = Literal[
    "PENDING",
    "CREATED",
    "REJECTED",
    "STOCK_RESERVED",
    "PAYMENT_AUTHORIZED",
    "CONFIRMED",
    "CANCELLED",
]
PENDING: Final = "PENDING"
CREATED: Final = "CREATED"
REJECTED: Final = "REJECTED"
STOCK_RESERVED: Final = "STOCK_RESERVED"
PAYMENT_AUTHORIZED: Final = "PAYMENT_AUTHORIZED"
CONFIRMED: Final = "CONFIRMED"
CANCELLED: Final = "CANCELLED"
TERMINAL = frozenset({REJECTED, CONFIRMED, CANCELLED})
_RANK = {PENDING: 0, CREATED: 1, STOCK_RESERVED: 2, PAYMENT_AUTHORIZED: 3}
_STATUS_OF: dict[type[Message], OrderState] = {
    OrderCreated: CREATED,
    OrderRejected: REJECTED,
    StockReserved: STOCK_RESERVED,
    PaymentAuthorized: PAYMENT_AUTHORIZED,
    OrderConfirmed: CONFIRMED,
    OrderCancelled: CANCELLED,
}


class HistoryEntry(BaseModel):
    model_config = ConfigDict(frozen=True)
    type: str
    timestamp: UtcDatetime


class OrderShown(BaseModel):
    """What ``GET /orders/{id}/status`` (and each item of ``GET /orders``) answers."""

    model_config = ConfigDict(frozen=True)

    orderId: str
    status: OrderState = PENDING
    details: dict[str, Any] = Field(default_factory=dict)
    events: list[HistoryEntry] = Field(default_factory=list)
    lastUpdated: UtcDatetime | None = None


_SHOWN = set(OrderShown.model_fields)


class OrderStatus(OrderShown):
    """The projection: what is shown, plus what it needs to stay idempotent (not shown)."""

    userId: str | None = None
    appliedEventIds: list[str] = Field(default_factory=list)
    reservedSkus: list[str] = Field(default_factory=list)

    def public(self) -> dict[str, Any]:
        return self.model_dump(mode="json", include=_SHOWN)


def next_status(current: OrderState, body: Message) -> OrderState:
    """Statuses only move forward, a terminal one is final: late or stray events never regress."""
    target = _STATUS_OF.get(type(body))
    if target is None or current in TERMINAL:
        return current
    if target in TERMINAL or _RANK[target] > _RANK[current]:
        return target
    return current


def _details(body: Message) -> dict[str, Any]:
    """The part of an event a customer looks at, merged into ``details``."""
    if isinstance(body, OrderCreated):
        shown = body.model_dump(
            mode="json", include={"userId", "amount", "currency", "items", "createdAt"}
        )
        return {**shown, "paymentStatus": "PENDING"}
    if isinstance(body, OrderRejected):
        return {"userId": body.userId, "rejectionReason": "; ".join(body.reasons)}
    if isinstance(body, PaymentAuthorized):
        return {"paymentStatus": "AUTHORIZED", "authorizationCode": body.authorizationCode}
    if isinstance(body, PaymentRejected):
        return {"paymentStatus": "REJECTED", "rejectionReason": body.rejectionReason}
    if isinstance(body, PaymentVoided):
        return {"paymentStatus": "VOIDED"}
    if isinstance(body, OrderCancelled):
        return {"cancellationReason": body.reason}
    return {}


def evolve(state: OrderStatus | None, event: Parsed) -> OrderStatus:
    """Fold one event into the status; an eventId already applied returns the state unchanged."""
    envelope, body = event.envelope, event.body
    assert isinstance(body, OrderMessage)  # every type on orders.events is one
    current = state or OrderStatus(orderId=body.orderId)
    event_id = str(envelope.eventId)
    if event_id in current.appliedEventIds:
        return current
    reserved = current.reservedSkus
    status = next_status(current.status, body)
    if isinstance(body, StockReserved):
        reserved = sorted({*reserved, body.sku})
        if status == STOCK_RESERVED and len(reserved) < len(current.details.get("items", [])):
            status = current.status  # STOCK_RESERVED once every item is reserved
    return current.model_copy(
        update={
            "userId": current.userId or body.userId,
            "status": status,
            "reservedSkus": reserved,
            "details": {**current.details, **_details(body)},
            "events": [
                *current.events,
                HistoryEntry(type=envelope.eventType, timestamp=envelope.timestamp),
            ],
            "lastUpdated": envelope.timestamp,
            "appliedEventIds": [*current.appliedEventIds, event_id],
        }
    )


def finished(before: OrderStatus | None, after: OrderStatus) -> str | None:
    """The terminal status this event moved the order into, or None (not terminal, or already
    terminal before: a redelivered or late event counts nothing twice)."""
    if after.status in TERMINAL and (before is None or before.status not in TERMINAL):
        return after.status
    return None
