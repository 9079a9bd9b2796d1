"""The queue Faust's table recovery reads changelog records from: nothing put after a clear.

Faust's recovery (``Recovery._slurp_changelogs``) takes the records of every changelog partition
it restores (active) or follows (standby) from one queue, and counts a partition read up to the
last record it took: the next rebalance seeks the partition back to there. A rebalance clears
the queue. A record put *after* that clear by a delivery that began before it still went in,
and the recovery took it: the cleared records of the same partition before it were then behind
the offset it seeks back to, read by nobody (cause 13 in ``docs/liveness.md``: a standby
restoring from scratch skipped a partition's first records, and as the active one later wrote a
user's totals without their first order). A delivery outlives the clear two ways:

- it waits for room (a worker restoring from scratch keeps this queue full): the clear cancels
  the waiting puts, except one the recovery already woke by taking a record, which puts after
  it (mode's ``ThrowableQueue.clear``; ``tests/unit/app/runtime/test_recovery.py``);
- it waits at an earlier step of Faust's delivery (the flow control, the producer's buffer).

So a record goes in only while the flow runs and in the generation it was fetched in; any other
is dropped, with a health line. It is fetched again: every clear belongs to a rebalance, whose
recovery seeks each changelog partition back to the last record taken."""

from __future__ import annotations

import logging
from typing import Any

from faust.tables import TableManager
from mode.utils.queues import ThrowableQueue

from app.observability.logs import health

log = logging.getLogger(__name__)


class ChangelogQueue(ThrowableQueue[Any]):
    """Faust's changelog queue that takes a record only while the flow runs, in its generation."""

    def __init__(self, app: Any, *args: Any, **kwargs: Any) -> None:  # a faust.App
        super().__init__(*args, **kwargs)
        self.app = app
        self.dropped = 0

    def _current(self, event: Any) -> bool:
        message = event.message
        if not self._flow_control.is_active():
            why = "the flow is stopped (a rebalance cleared this queue)"
        elif message.generation_id not in (None, self.app.consumer_generation_id):
            why = f"fetched in generation {message.generation_id}"
        else:
            return True
        self.dropped += 1
        health("changelog_record_dropped", topic=message.topic, partition=message.partition,
               offset=message.offset, reason=why)  # fmt: skip
        return False

    def put_nowait(self, item: Any) -> None:  # the end of a put that waited for room
        if self._current(item):
            super().put_nowait(item)

    def force_put_nowait(self, item: Any) -> None:  # Faust's conductor, when there is room
        if self._current(item):
            super().force_put_nowait(item)


class OrdersTableManager(TableManager):
    """Faust's table manager with its recovery reading from a ``ChangelogQueue``."""

    @property
    def changelog_queue(self) -> ThrowableQueue[Any]:
        if self._changelog_queue is None:
            self._changelog_queue = ChangelogQueue(
                self.app,
                maxsize=self.app.conf.stream_buffer_maxsize,
                flow_control=self.app.flow_control,
                clear_on_resume=True,
            )
        return self._changelog_queue
