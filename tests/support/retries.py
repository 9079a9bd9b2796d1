"""Retry settings for unit tests: the shell's backoff and timeouts in milliseconds."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Fast:
    """What ``app.runtime.failures`` reads of the settings, fast (patched in as its settings)."""

    retry_max: int = 3
    retry_base: float = 0.001
    retry_max_delay: float = 0.002
    handler_timeout: float = 0.2
