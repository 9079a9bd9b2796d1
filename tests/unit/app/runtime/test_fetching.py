"""The worker consumer's fetch wait comes from the settings, not Faust's fixed 1,500 ms, and its
fetches go out in fetch sessions unless the settings say not to."""

from __future__ import annotations

from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any, cast

import pytest
from aiokafka.consumer import consumer as aiokafka_consumer
from faust.transport.drivers import aiokafka as faust_kafka

from app.application import app
from app.runtime import fetching
from app.runtime.fetch_sessions import FetchSessions
from app.runtime.fetching import FetchWaitThread
from app.settings import settings


class Started(Exception):
    """Raised by the stand-in fetcher: the consumer got as far as building its fetcher."""


@pytest.fixture()
def wait_ms() -> Iterator[int]:
    saved = fetching._wait_ms[0], fetching._sessions[0]
    fetching.configure(7, saved[1])
    yield 7
    fetching.configure(*saved)


async def test_the_fetcher_is_built_with_the_configured_wait(
    wait_ms: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given the app's consumer thread (the one the worker uses) and no broker to talk to
    thread = app.consumer._thread  # type: ignore[attr-defined]
    assert isinstance(thread, FetchWaitThread)
    client = thread._create_worker_consumer(cast(Any, app.transport))
    built: dict[str, Any] = {}

    def fetcher(*args: Any, **kwargs: Any) -> None:
        built.update(kwargs)
        raise Started

    async def nothing(*args: Any) -> None:
        return None

    monkeypatch.setattr(aiokafka_consumer, "Fetcher", fetcher)
    monkeypatch.setattr(client._client, "bootstrap", nothing)
    monkeypatch.setattr(client, "_wait_topics", nothing)
    try:
        # When the client starts
        with pytest.raises(Started):
            await client.start()
    finally:
        await client.stop()  # nothing started but the client: no fetcher, no coordinator
    # Then its fetcher waits at most the configured time at the broker (aiokafka's own start
    # hands it over: a release that renames the attribute fails here, not silently)
    assert built["fetch_max_wait_ms"] == wait_ms
    # and the rest of Faust's settings are kept
    assert built["max_partition_fetch_bytes"] == app.conf.consumer_max_fetch_size


def test_the_app_sets_the_wait_from_its_settings() -> None:
    assert fetching._wait_ms[0] == settings.fetch_max_wait_ms


@pytest.mark.parametrize("sessions", [True, False])
async def test_the_started_consumer_fetches_in_sessions_when_set(
    sessions: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given Faust's start of the consumer thread, standing in for a broker: a consumer whose
    # fetcher has a client
    client = object()
    fetcher = SimpleNamespace(_client=client)

    async def started(self: FetchWaitThread) -> None:
        self._consumer = cast(Any, SimpleNamespace(_fetcher=fetcher))

    monkeypatch.setattr(faust_kafka.AIOKafkaConsumerThread, "on_start", started)
    monkeypatch.setattr(fetching, "_sessions", [sessions])
    # When the app's consumer thread starts (its consumer is put back after the test)
    thread = app.consumer._thread  # type: ignore[attr-defined]
    monkeypatch.setattr(thread, "_consumer", thread._consumer)
    await FetchWaitThread.on_start(thread)
    # Then its fetches go through a session keeper, or straight to the client when off
    if sessions:
        assert isinstance(fetcher._client, FetchSessions) and fetcher._client._client is client
    else:
        assert fetcher._client is client


def test_the_app_fetches_in_sessions_as_its_settings_say() -> None:
    assert fetching._sessions[0] is settings.fetch_sessions is True
