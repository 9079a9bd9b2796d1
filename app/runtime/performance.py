"""What makes a Faust worker fast, in one place: the app and the benchmark's Faust jobs use it.

Measured with ``make bench`` (docs/performance.md); each line says what it buys.
"""

from __future__ import annotations

import logging
from typing import Any

from app.runtime.hashing import RememberingPartitioner

# No linger (Faust's and aiokafka's default, 0): the client keeps one produce request in flight
# per broker, and what is sent meanwhile waits for that request and leaves in the next one, so
# under load requests carry batches anyway; a linger only added its wait to every Kafka leg of an
# order, twice per hop (the changelog record, then the event the outbox held for it). Measured
# against 2 ms in stop 35 (docs/performance.md): p50 at 10 orders/s 58-68 ms instead of 98-119.
# aiokafka's partitioner hashes every keyed send's key in pure Python; it is kept per key.
PRODUCER: dict[str, Any] = {
    "producer_linger": 0.0,
    "producer_max_batch_size": 256 * 1024,
    "producer_partitioner": RememberingPartitioner(),
}


# Faust's fetch loop takes everything the client has buffered (no max_poll_records; up to 1 MiB
# per partition), then hands it to the agents one record at a time, at the pace of the slowest
# agent, and fetches again only when that batch is done. A partition whose records arrived just
# after a batch was taken waits for the whole of it: after kill -9s left a backlog on a slowed
# worker, tens of thousands of records, minutes in which a partition made no progress at all
# (issue 17: the kill loop's stalls; docs/liveness.md). Small per-partition fetches and bounded
# polls keep every owned partition within seconds of its turn.
CONSUMER: dict[str, Any] = {
    "broker_max_poll_records": 500,
    "consumer_max_fetch_size": 32 * 1024,
}


def restore_log_level() -> None:
    """Faust's worker at ``-l warn`` (or above) sets the root logger to DEBUG, so that a terminal
    spinner turns on every record, and never sets it back: every ``log.debug`` in Faust and
    aiokafka then builds a record that is thrown away (~10 % of a forwarding agent's time). Drop
    the spinner's handler and put the root level back to the lowest level a handler keeps."""
    from faust.utils.terminal.spinners import SpinnerHandler

    root = logging.getLogger()
    kept = [h for h in root.handlers if not isinstance(h, SpinnerHandler)]
    if len(kept) == len(root.handlers):
        return  # no spinner (-l info or below): Faust left the level as asked
    root.handlers = kept
    levels = [h.level for h in kept]
    if kept and logging.NOTSET not in levels:  # a NOTSET handler keeps everything: leave it
        root.setLevel(max(root.level, min(levels)))
