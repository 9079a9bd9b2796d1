"""CPython's cycle collector tuned for a worker that carries load.

CPython collects its youngest generation after every 700 net allocations of container objects,
and now and then the whole heap. A worker allocates a few thousand such objects per order (the
records, envelopes, pydantic models, futures, tasks). Almost all of them are freed by reference
counting, but each collection still walks whatever is alive in the generations it collects.
The whole heap is 150,000 to 360,000 objects here, most of them as old as the process: modules,
classes, settings, Faust's and aiokafka's services, the caches. Measured with ``gc.callbacks``
(docs/performance.md, "The garbage collector"): in a 3,000-order run one worker spent 4.2 to
5.2 s collecting, 0.7 s of it during its start: about a fifth of its CPU under load. Most of
it went to 36 or 37 full collections of 90 to 170 ms each, and each was also a stall for every
record in flight.

``configure(threshold)`` (the app, at import) raises the youngest generation's threshold to
``ORDERS_GC_THRESHOLD`` (20,000), so the young collections come about 30 times less often. The
older generations keep CPython's own ratios. ``freeze()`` (the health reporter, once the worker
has started and its tables are recovered) first collects what the start left behind, then
moves every object still alive into CPython's permanent generation, which no collection walks
again (``gc.freeze``; CPython documents it for forking servers, and it serves the same end
here: the start's objects live as long as the process). Objects made later are collected as
before. ``ORDERS_GC_THRESHOLD=0`` keeps CPython's defaults and does not freeze."""

from __future__ import annotations

import gc

_threshold = [0]  # 0: CPython's own settings (until the app configures it)


def configure(threshold: int) -> None:
    """The youngest generation's threshold (0: CPython's defaults, and no ``freeze``)."""
    _threshold[0] = threshold
    if threshold:
        _, older, oldest = gc.get_threshold()
        gc.set_threshold(threshold, older, oldest)


def freeze() -> int:
    """Once a worker has started: collect, then keep every object alive now out of all later
    collections. Returns how many objects were frozen (0 when not configured)."""
    if not _threshold[0]:
        return 0
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()
