"""Who sends what is declared, and held to: a send an agent did not declare is reported; a module
that fails to import stops the worker instead of leaving its agents out."""

from __future__ import annotations

import logging
from types import SimpleNamespace
from typing import Any

import pytest

from app.application import app
from app.runtime import senders
from domain import envelope
from domain.messages import OrderConfirmed


def sent(body: Any) -> envelope.Envelope:
    return envelope.build(body, correlation_id="o-1")


CONFIRMED = OrderConfirmed(orderId="o-1", userId="u-1")


@pytest.fixture()
def agent(monkeypatch: pytest.MonkeyPatch) -> Any:
    @senders.sends(OrderConfirmed)
    async def fun(stream: Any) -> None:
        raise AssertionError

    running = SimpleNamespace(name="test-agent", fun=fun)
    monkeypatch.setattr(senders, "current_agent", lambda: running)
    monkeypatch.setattr(senders, "undeclared", set())
    return running


def test_a_declared_send_passes_and_an_undeclared_one_is_logged_once(
    agent: Any, caplog: pytest.LogCaptureFixture
) -> None:
    assert senders.declared(agent) == ("OrderConfirmed",)
    with caplog.at_level(logging.ERROR):
        senders.check(sent(CONFIRMED))
        assert senders.undeclared == set() and not caplog.records
        created = sent(CONFIRMED).model_copy(update={"eventType": "OrderCreated"})
        senders.check(created)
        senders.check(created)
    assert senders.undeclared == {("test-agent", "OrderCreated")}
    assert len(caplog.records) == 1 and "undeclared send" in caplog.records[0].getMessage()


def test_a_send_outside_any_agent_is_not_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(senders, "current_agent", lambda: None)
    monkeypatch.setattr(senders, "undeclared", set())
    senders.check(sent(CONFIRMED))
    assert senders.undeclared == set()


def test_every_agent_of_the_app_declares_what_it_sends() -> None:
    import agents  # noqa: F401  (registers every agent)

    app.discover()
    declared = {agent.name: senders.declared(agent) for agent in app.agents.values()}
    assert declared["follow-order-events"] and "OrderTimedOut" in declared["follow-order-events"]
    assert declared["handle-orders"][:2] == ("OrderCreated", "OrderRejected")
    assert declared["maintain-users"] == ()


def test_a_module_that_fails_to_import_stops_the_worker() -> None:
    try:
        raise NameError("name 'PaymentVoided' is not defined")
    except NameError:
        with pytest.raises(ImportError, match=r"agents\.payments"):
            app._on_autodiscovery_error("agents.payments")
