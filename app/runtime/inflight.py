"""How many records the agents are handling right now, so a stop or a rebalance waits for exactly
those (``durability.drain_and_commit``): a batch's records from when they are taken until they
are acked (``app.runtime.batches``), a dead letter while it is indexed or kept (``agents.dlq``)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator


class InFlight:
    def __init__(self) -> None:
        self.count = 0

    @contextlib.contextmanager
    def holding(self, records: int = 1) -> Iterator[None]:
        self.count += records
        try:
            yield
        finally:
            self.count -= records


in_flight = InFlight()
