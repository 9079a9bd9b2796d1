"""``FlowControl``: a resume of a flowing flow clears nothing (cause 10 in docs/liveness.md). What
a clear of a stopped flow keeps in the readers' queues is tested with the readers, in
``test_catchup``."""

from __future__ import annotations

from mode.utils.queues import FlowControlQueue

from app.runtime.flow import FlowControl


def queues(flow: FlowControl) -> list[FlowControlQueue[int]]:
    """A standby's changelog queue and an agent's queue, each holding one record."""
    made: list[FlowControlQueue[int]] = [
        FlowControlQueue(flow_control=flow, clear_on_resume=True) for _ in range(2)
    ]
    flow.resume()
    for queue, item in zip(made, (0, 7), strict=True):
        queue.put_nowait(item)
    return made


async def test_resuming_a_flowing_flow_keeps_what_is_queued() -> None:
    # Given standby records fetched after the recovery resumed the flow for them (cause 10)
    flow = FlowControl()
    made = queues(flow)
    # When the recovery completes and resumes the flow again
    flow.resume()
    # Then nothing is cleared
    assert [q.qsize() for q in made] == [1, 1]


async def test_resuming_after_a_suspension_clears_every_queue() -> None:
    flow = FlowControl()
    made = queues(flow)
    flow.suspend()  # a rebalance
    flow.resume()
    assert [q.qsize() for q in made] == [0, 0]
