"""Settings: environment wins, defaults work on localhost, and docs/settings.md lists every one."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from app.settings import Settings

DOCUMENTED = (Path(__file__).resolve().parents[3] / "docs" / "settings.md").read_text()


def test_every_setting_is_documented() -> None:
    missing = [
        name for name in Settings.model_fields if f"`ORDERS_{name.upper()}`" not in DOCUMENTED
    ]
    assert missing == []


def test_environment_overrides_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ORDERS_TOPIC_PARTITIONS", "6")
    monkeypatch.setenv("ORDERS_DLQ_RETENTION_DAYS", "1")
    settings = Settings()
    assert settings.topic_partitions == 6
    assert settings.retention_ms(dlq=True) == 86_400_000
    assert Settings.model_fields["retention_days"].default == 7


def test_invalid_setting_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ORDERS_TOPIC_PARTITIONS", "0")
    with pytest.raises(ValueError, match="topic_partitions"):
        Settings()


def test_settings_are_frozen() -> None:
    with pytest.raises(ValueError):
        Settings().topic_partitions = 9  # type: ignore[misc]


def test_a_drain_shorter_than_the_longest_handling_is_refused() -> None:
    assert Settings().longest_handling() == 4 * 5.0 + 1 + 2 + 4
    with pytest.raises(ValidationError, match="ORDERS_DRAIN_TIMEOUT"):
        Settings(drain_timeout=20)
    assert Settings(drain_timeout=20, handler_timeout=1).drain_timeout == 20


def test_the_admission_budget_is_half_the_saga_timeout_never_under_a_few_commit_intervals(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert Settings().admission_budget() == 15.0  # 30 s saga timeout
    monkeypatch.setenv("ORDERS_SAGA_TIMEOUT", "4")
    assert Settings().admission_budget() == 10.0  # a healthy partition shows ~2.8 s of backlog
    monkeypatch.setenv("ORDERS_ADMISSION_BACKLOG", "0")
    assert Settings().admission_budget() == 0.0  # off


def test_an_invalid_setting_never_shows_a_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    from pydantic import ValidationError

    from app.settings import Settings

    monkeypatch.setenv("ORDERS_API_KEYS", "admin:SUPERSECRET-0123456789")
    monkeypatch.setenv("ORDERS_KAFKA_PASSWORD", "KAFKASECRET-0123456789")
    for name, value in [("ORDERS_API_KEYS_FILE", "/nowhere"), ("ORDERS_DRAIN_TIMEOUT", "1")]:
        monkeypatch.setenv(name, value)  # one more wrong setting each time
        with pytest.raises(ValidationError) as refused:
            Settings()
        shown = str(refused.value) + repr(refused.value)
        assert "SUPERSECRET" not in shown and "KAFKASECRET" not in shown
    monkeypatch.delenv("ORDERS_API_KEYS_FILE")
    monkeypatch.delenv("ORDERS_DRAIN_TIMEOUT")
    ok = Settings()
    assert "SUPERSECRET" not in repr(ok) + str(ok.model_dump())
