"""Payments: payments.commands → the gateway (retried, behind a breaker) → orders.events."""

from __future__ import annotations

from app.adapters import gateway
from app.application import app
from app.runtime.intake import consume, send_envelope
from app.runtime.senders import sends
from app.settings import settings
from app.topics import payments_commands_topic
from domain import payments
from domain.envelope import Parsed
from domain.messages import (
    AuthorizePayment,
    PaymentAuthorized,
    PaymentRejected,
    PaymentVoided,
    VoidPayment,
)
from domain.types import now_utc
from tables.payments import payment_records


async def process_payment(parsed: Parsed) -> None:
    body = parsed.body
    assert isinstance(body, AuthorizePayment | VoidPayment)
    record = payment_records.get(body.orderId)
    # raises after the retries, or at once while the circuit is open
    outcome = await gateway.authorize(body) if payments.asks_gateway(body, record) else None
    after, out = payments.decide(record, parsed, outcome=outcome, now=now_utc())
    if after is not None and after != record:
        payment_records.put(body.orderId, after)
    for env in out:
        await send_envelope(env)


@app.agent(payments_commands_topic, name="process-payments")
@sends(PaymentAuthorized, PaymentRejected, PaymentVoided)
async def process_payments(stream):  # type: ignore[no-untyped-def]
    """Reads ``payments.commands``; changes ``payment-records``; sends PaymentAuthorized /
    PaymentRejected to ``orders.events``. Up to ``ORDERS_PAYMENT_CONCURRENCY`` commands at a
    time (one order's commands in order), acked together after the whole batch: Faust's own
    ``concurrency>1`` would commit offsets past records still in flight (a kill -9 would lose
    them). A retried call holds the next batch for its backoff. A failure after the retries, or
    an open circuit, goes to the DLQ and gets no answer, so the saga's deadline compensates."""
    async for outcome in consume(
        stream,
        payments_commands_topic,
        process_payment,
        concurrently=settings.payment_concurrency,
    ):
        yield outcome
