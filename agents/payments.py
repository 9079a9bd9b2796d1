"""Payments: payments.commands → the gateway (retried, behind a breaker) → orders.events."""

from __future__ import annotations

from app.adapters import gateway
from app.application import app
from app.runtime.intake import consume, emit
from app.settings import settings
from app.topics import payments_commands_topic
from domain.envelope import Parsed
from domain.messages import (
    AuthorizePayment,
    PaymentAuthorized,
    PaymentRejected,
    PaymentVoided,
    VoidPayment,
)
from domain.payments import Approved, PaymentRecord
from domain.types import now_utc
from tables.payments import payment_records


def answer(record: PaymentRecord, cmd: AuthorizePayment) -> PaymentAuthorized | PaymentRejected:
    ids = {
        "orderId": cmd.orderId,
        "userId": cmd.userId,
        "amount": record.amount,
        "processedAt": now_utc(),
    }
    if record.authorizationCode is not None:
        return PaymentAuthorized(**ids, authorizationCode=record.authorizationCode)
    return PaymentRejected(**ids, rejectionReason=record.rejectionReason or "rejected")


async def process_payment(parsed: Parsed) -> None:
    body = parsed.body
    record = payment_records.get(body.orderId)  # type: ignore[attr-defined]
    if isinstance(body, VoidPayment):
        if record is not None and record.status != "REJECTED":
            payment_records.put(body.orderId, record.model_copy(update={"status": "VOIDED"}))
            voided = PaymentVoided(
                orderId=body.orderId, userId=body.userId, amount=record.amount,
                authorizationCode=body.authorizationCode, voidedAt=now_utc(),
            )  # fmt: skip
            await emit(voided, cause=parsed.envelope, step="voided")
        return
    assert isinstance(body, AuthorizePayment)
    if record is None:  # a repeated command is answered from the record, not the gateway
        outcome = await gateway.authorize(body)  # raises after retries or when the circuit is open
        approved = isinstance(outcome, Approved)
        record = PaymentRecord(
            orderId=body.orderId, amount=body.amount,
            status="AUTHORIZED" if approved else "REJECTED",
            authorizationCode=outcome.authorization_code if approved else None,
            rejectionReason=None if approved else outcome.reason,
        )  # fmt: skip
        payment_records.put(body.orderId, record)
    await emit(answer(record, body), cause=parsed.envelope, step="answer")


@app.agent(payments_commands_topic, name="process-payments")
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
