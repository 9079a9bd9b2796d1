"""What the broker has committed, as this worker's consumer knows it (not Faust's own record).

Faust's ``Consumer._committed_offset`` moves on a commit the broker refused (its
``_commit_offsets`` updates it whether or not the commit was made: a rebalance under way answers
"already rebalanced"), and ``app.runtime.rewind`` moves it past records retention deleted. A rule
that must never be ahead of the broker (``domain.aggregates``: what leaves a user's value, which
ledger entries are taken) reads ``committed_offset`` instead."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

from faust.transport.drivers import aiokafka as faust_kafka
from faust.types import TP, ConsumerT


class KnownCommits(faust_kafka.Consumer):
    """Keeps, per partition, the offset the broker has committed: the one found when Faust seeks
    to the committed offsets after a rebalance's recovery, then each commit the broker made."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._on_broker: dict[TP, int] = {}

    async def seek_to_committed(self) -> Mapping[TP, int]:
        offsets = await super().seek_to_committed()
        self._on_broker = {TP(*tp): o for tp, o in offsets.items() if o is not None}
        return offsets

    async def _commit_offsets(
        self, offsets: Mapping[TP, int], start_new_transaction: bool = True
    ) -> bool:
        assigned = self.assignment()  # Faust commits only the partitions assigned (before, after)
        did_commit = bool(await super()._commit_offsets(offsets, start_new_transaction))
        if did_commit:
            assigned = assigned & self.assignment()
            self._on_broker.update({tp: o for tp, o in offsets.items() if tp in assigned})
        return did_commit


def committed_offset(consumer: ConsumerT, tp: TP) -> int | None:
    """The offset the broker has committed for ``tp``, as this consumer knows it (None: none
    yet). Every write made for a record below it was acknowledged before the commit
    (``DurableConsumer._commit_offsets``), and a later owner starts at or past it."""
    return cast(KnownCommits, consumer)._on_broker.get(tp)
