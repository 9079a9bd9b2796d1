"""The log level Faust's worker leaves behind is put back."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
from faust.utils.terminal.spinners import SpinnerHandler

from app.runtime import performance


@pytest.fixture()
def root_logger() -> Iterator[logging.Logger]:
    root = logging.getLogger()
    saved = (root.level, list(root.handlers))
    yield root
    root.setLevel(saved[0])
    root.handlers = saved[1]


def test_the_spinner_handler_goes_and_debug_records_are_not_built(root_logger) -> None:
    # what Faust's worker leaves at -l warn: a handler at WARNING, a spinner, the root at DEBUG
    stream = logging.StreamHandler()
    stream.setLevel(logging.WARNING)
    root_logger.handlers = [stream, SpinnerHandler(spinner=None, level=logging.DEBUG)]  # type: ignore[arg-type]
    root_logger.setLevel(logging.DEBUG)
    assert logging.getLogger("aiokafka.producer").isEnabledFor(logging.DEBUG)
    performance.restore_log_level()
    assert root_logger.handlers == [stream]
    assert not logging.getLogger("aiokafka.producer").isEnabledFor(logging.DEBUG)
    assert logging.getLogger("aiokafka.producer").isEnabledFor(logging.WARNING)
