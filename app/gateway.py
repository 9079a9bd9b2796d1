"""The simulated payment gateway, behind retries (tenacity) and a circuit breaker (purgatory).

Rules of the gateway (deterministic, documented in the README):
- currency XTS (ISO 4217's code for testing), an outage window set by ``take_down(seconds)``, or a
  seeded share ``ORDERS_PAYMENT_OUTAGE_RATE`` of calls: the gateway is unavailable (an exception);
- otherwise ``domain.payments.decide``: tier limits, then seeded random declines, else approved.
A transient failure is retried with exponential backoff; failures in a row open the circuit of
that currency's acquirer; while it is open calls fail at once with ``CircuitOpen``.
"""

from __future__ import annotations

import asyncio
import random
import time
from typing import Any

from purgatory import AsyncCircuitBreakerFactory
from purgatory.domain.model import OpenedState
from tenacity import AsyncRetrying, retry_if_exception_type, stop_after_attempt, wait_exponential

from app.errors import DependencyUnavailable
from app.faust_app import settings
from domain.messages import AuthorizePayment
from domain.payments import OUTAGE_CURRENCY, Approved, Declined, decide


class GatewayUnavailable(DependencyUnavailable):
    """Transient: retried, and counted by the circuit breaker."""


class CircuitOpen(DependencyUnavailable):
    """The circuit is open: the call was not even tried."""


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
        return decide(cmd, seed=settings.payment_seed, decline_rate=settings.payment_decline_rate)


gateway = SimulatedGateway()
breakers = AsyncCircuitBreakerFactory(
    default_threshold=settings.breaker_threshold, default_ttl=settings.breaker_reset
)
circuit_states: dict[str, str] = {}  # circuit name -> closed | opened | half-opened


def _track(name: str, kind: str, event: Any) -> None:
    if kind == "circuit_breaker_created":
        circuit_states[name] = "closed"
    elif kind == "state_changed":
        circuit_states[name] = event.state


breakers.add_listener(_track)


async def authorize(cmd: AuthorizePayment) -> Approved | Declined:
    """One authorization: retried while the gateway is unavailable, unless the circuit opens."""
    retrying = AsyncRetrying(
        stop=stop_after_attempt(settings.retry_max + 1),
        wait=wait_exponential(multiplier=settings.retry_base, max=settings.retry_max_delay),
        retry=retry_if_exception_type(GatewayUnavailable),
        reraise=True,
    )
    async for attempt in retrying:
        with attempt:
            try:
                async with await breakers.get_breaker(f"gateway-{cmd.currency}"):
                    return await gateway.authorize(cmd)
            except OpenedState as exc:
                raise CircuitOpen(str(exc)) from exc
    raise AssertionError("unreachable: tenacity re-raises the last failure")
