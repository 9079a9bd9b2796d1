"""Admission control at the edge: ``POST /orders`` and checkout answer 429 with ``Retry-After``
when the backlog ahead of the new order is longer than ``ORDERS_ADMISSION_BACKLOG`` (the rule is
``domain.admission``; the backlog, ``app.adapters.lag``, is sampled from the broker every
``ORDERS_ADMISSION_INTERVAL`` by every worker, each on its own)."""

from __future__ import annotations

from collections.abc import Iterable

from aiohttp import web

from app.adapters.lag import group_lag, order_path
from app.observability import metrics
from app.settings import settings
from domain.admission import admit, ahead
from views.http.errors import problem


def refused(
    user_id: str, order_id: str, skus: Iterable[str], *, keyed: bool = False
) -> web.Response | None:
    """None to place the order; else the 429 to answer with (and nothing is sent). ``keyed``: the
    request has an Idempotency-Key, so it may be the retry of an order already taken and still
    in the backlog: the answer says so."""
    budget = settings.admission_budget()
    if budget <= 0 or not group_lag.backlog:
        return None
    refusal = admit(ahead(group_lag.backlog, order_path(user_id, order_id, skus)), budget)
    if refusal is None:
        return None
    metrics.orders_refused.inc()
    headers = {"Retry-After": str(refusal.retry_after)}
    detail = refusal.detail()
    if keyed:
        detail += (
            "; a request with this Idempotency-Key may already have been taken: a retry with "
            "the same key places the order once"
        )
    return problem(429, "overloaded", detail, headers=headers)
