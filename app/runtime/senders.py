"""Who sends what: ``@sends(OrderCreated, …)`` on an agent declares the messages it (and its
timers) send, for the AsyncAPI document (``faust -A app asyncapi``). ``check`` holds every send
from an agent to its declaration: one that is not declared is logged (once per agent and type)
and counted, so the document cannot drift from what the code does unnoticed."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, TypeVar

from faust.agents import current_agent

from domain.envelope import Envelope
from domain.messages import Message

log = logging.getLogger(__name__)
F = TypeVar("F", bound=Callable[..., Any])
undeclared: set[tuple[str, str]] = set()  # (agent, eventType) sent without being declared


def sends(*types: type[Message]) -> Callable[[F], F]:
    def declare(fun: F) -> F:
        fun.__sends__ = tuple(t.__name__ for t in types)  # type: ignore[attr-defined]
        return fun

    return declare


def declared(agent: Any) -> tuple[str, ...]:
    """What ``agent`` (a Faust agent) declared it sends; () if it declared nothing."""
    return tuple(getattr(agent.fun, "__sends__", ()))


def check(env: Envelope) -> None:
    agent = current_agent()
    if agent is None or env.eventType in declared(agent):
        return
    if (agent.name, env.eventType) not in undeclared:
        undeclared.add((agent.name, env.eventType))
        log.error(
            "undeclared send: agent %s sent %s, which its @sends does not list (the AsyncAPI "
            "document does not show it)", agent.name, env.eventType,
        )  # fmt: skip
