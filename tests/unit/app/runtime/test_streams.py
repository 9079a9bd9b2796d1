"""``RegroupingStream``: a filter before a ``group_by`` runs before the repartition's forward,
and only the filters move there (faust-streaming#553). No broker: where each processor runs is
decided when the stream is built."""

from __future__ import annotations

from typing import Any, cast

import faust

from app.runtime.streams import RegroupingStream


def test_filters_run_ahead_of_the_forward_and_other_processors_stay_behind_it() -> None:
    # the broker is never reached: where a processor runs is decided before anything starts
    app = faust.App("test-regrouping", Stream=RegroupingStream, broker="kafka://127.0.0.1:1")
    source = cast(RegroupingStream, app.topic("source").stream())

    def unwrap(value: Any) -> Any:  # a processor that changes values (as Faust's agent adds)
        return value

    source.add_processor(unwrap)
    grouped = cast(RegroupingStream, source.filter(lambda value: value != b"skip").group_by(
        lambda v: v, name="by-v"
    ))  # fmt: skip
    kept = source._processors
    assert len(kept) == 2 and kept[1].__name__ == "repartition"  # the filter, then the forward
    assert grouped._processors == [unwrap]  # after the forward, on the regrouped side
