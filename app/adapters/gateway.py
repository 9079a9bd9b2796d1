"""The simulated payment gateway, behind a circuit breaker (purgatory).

Rules of the gateway (deterministic, documented in docs/architecture.md):
- currency XTS (ISO 4217's code for testing), an outage window set by ``take_down(seconds)``, or a
  seeded share ``ORDERS_PAYMENT_OUTAGE_RATE`` of calls: the gateway is unavailable (an exception);
- otherwise ``domain.payments.authorize``: tier limits, then seeded random declines, else approved.
Failures in a row open the circuit of that currency's acquirer; while it is open calls fail at once
with ``CircuitOpen``. The agents' shell (``app.runtime.intake``) retries ``GatewayUnavailable`` with
exponential backoff, then dead-letters the command; ``CircuitOpen`` is dead-lettered at once.
"""

from __future__ import annotations

import asyncio
import random
import time
from typing import Any

from purgatory import AsyncCircuitBreakerFactory
from purgatory.domain.model import OpenedState

from app.runtime.errors import CircuitOpen, DependencyUnavailable
from app.settings import settings
from domain import payments
from domain.messages import AuthorizePayment
from domain.payments import OUTAGE_CURRENCY, Approved, Declined


class GatewayUnavailable(DependencyUnavailable):
    """Transient: retried, and counted by the circuit breaker."""


class SimulatedGateway:
    def __init__(self) -> None:
        self._rng = random.Random(settings.payment_seed)
        self._down_until = 0.0

    def take_down(self, seconds: float) -> None:
        self._down_until = time.monotonic() + seconds

    async def authorize(self, cmd: AuthorizePayment) -> Approved | Declined:
        await asyncio.sleep(settings.payment_latency_ms / 1000)
        if (
            cmd.currency == OUTAGE_CURRENCY
            or time.monotonic() < self._down_until
            or self._rng.random() < settings.payment_outage_rate
        ):
            raise GatewayUnavailable(f"payment gateway unavailable for {cmd.currency}")
        return payments.authorize(
            cmd, seed=settings.payment_seed, decline_rate=settings.payment_decline_rate
        )


gateway = SimulatedGateway()
breakers = AsyncCircuitBreakerFactory(
    default_threshold=settings.breaker_threshold, default_ttl=settings.breaker_reset
)
circuit_states: dict[str, str] = {}  # circuit name -> closed | opened | half-opened


def _record_state(name: str, kind: str, event: Any) -> None:
    if kind == "circuit_breaker_created":
        circuit_states[name] = "closed"
    elif kind == "state_changed":
        circuit_states[name] = event.state


breakers.add_listener(_record_state)


async def authorize(cmd: AuthorizePayment) -> Approved | Declined:
    """One authorization through the circuit of the currency's acquirer (one try: the caller
    retries a ``DependencyUnavailable``)."""
    try:
        async with await breakers.get_breaker(f"gateway-{cmd.currency}"):
            return await gateway.authorize(cmd)
    except OpenedState as exc:
        raise CircuitOpen(str(exc)) from exc
