"""Faust's stream, with what is filtered before a ``group_by`` left out of the repartition.

``stream.filter(f).group_by(key, name=…)`` is documented as filtering before the regrouping,
but ``group_by`` moves the stream's processors, the filter among them, to the regrouped stream
it returns, and forwards from the source stream itself: every record crossed the repartition
topic and was filtered only on the far side (faust-streaming/faust#553, open). Counted by
``make bench`` here: all of ``orders.events`` (4.5 records per order) went through the by-user
repartition where 2 per order are used. This stream puts those processors back on the source
stream, ahead of the forward: a record they skip is acked there, as any filtered record is, and
never produced again. Its forward runs on the app's batches (``_passive_drainer``)."""

from __future__ import annotations

import contextlib
from typing import Any, cast

import faust
from faust.types import StreamT

from app.runtime.batches import batches


class RegroupingStream(faust.Stream[Any]):
    """Only the stream's own filters move back; any other processor (Faust's agent adds one that
    unwraps a reply request) stays where ``group_by`` put it, after the repartition, since the
    forward sends the record as it came and a processor's changes would not cross it."""

    _filters: frozenset[Any] = frozenset()  # this stream's filters (Faust's on_value closures)

    def filter(self, fun: Any) -> StreamT[Any]:
        out = super().filter(fun)
        self._filters = self._filters | {self._processors[-1]}  # the one Faust just added
        return out

    def group_by(self, key: Any, *, name: str | None = None, topic: Any = None,
                 partitions: int | None = None) -> StreamT[Any]:  # fmt: skip
        filters = self._filters
        grouped = cast(faust.Stream[Any], super().group_by(
            key, name=name, topic=topic, partitions=partitions
        ))  # fmt: skip
        if grouped is self or not filters:  # finalized already (Faust returns it as it is)
            return grouped
        moved = [p for p in grouped._processors if p in filters]  # Faust's _chain moved them
        grouped._processors[:] = [p for p in grouped._processors if p not in filters]
        self._processors[:0] = moved  # here, ahead of the forward group_by just added
        return grouped

    async def _passive_drainer(self, channel: Any, declare: bool = False) -> None:
        """Faust's drain of a stream whose processors do the work (``group_by``'s forward), in
        the app's batches (``app.runtime.batches``) instead of Faust's one record per loop turn:
        a topic's readers then keep pace with each other (a record is committed only once every
        reader acked it: measured, the by-user forward one record per turn fell 100 records
        behind the agents on batches), and its forwards count as in flight for the drain."""
        try:
            if declare:
                await channel.maybe_declare()
            self._passive_started.set()
            try:
                async with contextlib.aclosing(batches(self)) as taken:
                    async for batch in taken:
                        for _ in batch:  # the processors ran as it was taken: acked after
                            pass
            except BaseException as exc:  # to the regrouped stream, as Faust's drainer does
                await channel.throw(exc)
        finally:
            self._channel_stop_iteration(channel)
            self._passive = False
