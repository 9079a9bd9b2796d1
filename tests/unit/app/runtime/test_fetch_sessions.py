"""Fetch sessions (KIP-227) as the Java client keeps them: a full fetch opens one, the next names
only what changed, and anything unexpected makes the next fetch a full one again."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from aiokafka import errors
from aiokafka.protocol.fetch import (
    FetchRequest,
    FetchRequest_v4,
    FetchRequest_v7,
    FetchRequest_v11,
    FetchResponse_v11,
)
from aiokafka.structs import TopicPartition

from app.runtime.fetch_sessions import INITIAL, INT32_MAX, FetchSessions, Session, SessionFetch

A0, A1, B0 = TopicPartition("a", 0), TopicPartition("a", 1), TopicPartition("b", 0)
MAX = 32 * 1024


def full(**offsets: int) -> FetchRequest:
    """The full request aiokafka's fetcher builds, from ``a0=5, b0=7``."""
    topics: dict[str, list[tuple[int, int, int]]] = {}
    for name, offset in offsets.items():
        topics.setdefault(name[0], []).append((int(name[1:]), offset, MAX))
    return FetchRequest(20, 1, 50 * 2**20, 0, list(topics.items()), rack_id="r1")


def answer(session: int, *tps: TopicPartition, error: int = 0, throttle: int = 0,
           failing: tuple[TopicPartition, ...] = ()) -> Any:  # fmt: skip
    """A Fetch v11 answer naming ``tps`` (no records), ``failing`` with NotLeaderOrFollower."""
    by_topic: dict[str, list[tuple[Any, ...]]] = {}
    for tp in tps:
        code = errors.NotLeaderForPartitionError.errno if tp in failing else 0
        by_topic.setdefault(tp.topic, []).append((tp.partition, code, 10, 10, 0, [], -1, b""))
    return FetchResponse_v11(throttle, error, session, list(by_topic.items()))


def opened(session_id: int = 42) -> Session:
    """A session the broker opened on a full fetch of a0 at 5, a1 at 3 and b0 at 7."""
    session = Session()
    first = session.fetch(full(a0=5, a1=3, b0=7))
    session.answered(answer(session_id, A0, A1, B0), first)
    return session


def test_the_first_fetch_is_full_and_opens_a_session() -> None:
    session = Session()
    fetch = session.fetch(full(a0=5, a1=3, b0=7))
    assert (fetch.session, fetch.epoch) == (0, INITIAL)
    assert fetch.send == {A0: (5, MAX), A1: (3, MAX), B0: (7, MAX)} and fetch.forget == []
    session.answered(answer(42, A0, A1, B0), fetch)
    assert (session.id, session.epoch) == (42, 1)


def test_a_fetch_in_a_session_names_only_what_moved_was_added_or_is_forgotten() -> None:
    session = opened()
    # a0 got records (its offset moved), a1 has records the app still holds (left out), b0 is
    # where it was, b1 is new
    fetch = session.fetch(full(a0=9, b0=7, b1=0))
    assert (fetch.session, fetch.epoch) == (42, 1)
    assert fetch.send == {A0: (9, MAX), TopicPartition("b", 1): (0, MAX)}
    assert fetch.forget == [A1]
    session.answered(answer(42, A0), fetch)
    assert session.epoch == 2
    # nothing moved: an empty request, the broker fetches its session's partitions
    again = session.fetch(full(a0=9, b0=7, b1=0))
    assert again.send == {} and again.forget == [] and again.epoch == 2


def test_the_wire_request_carries_the_session_the_changes_and_the_forgotten() -> None:
    session = opened()
    fetch = session.fetch(full(a0=9, b0=7))
    wire = FetchRequest_v11.decode(fetch.build(FetchRequest_v11).encode())
    assert (wire.session_id, wire.session_epoch) == (42, 1)
    assert wire.topics == [("a", [(0, -1, 9, -1, MAX)])]
    assert wire.forgotten_topics_data == [("a", [1])]
    assert (wire.max_wait_time, wire.min_bytes, wire.rack_id) == (20, 1, "r1")


def test_before_fetch_v9_a_partition_has_no_leader_epoch() -> None:
    fetch = opened().fetch(full(a0=9, b0=7))
    wire = FetchRequest_v7.decode(fetch.build(FetchRequest_v7).encode())
    assert (wire.session_id, wire.session_epoch) == (42, 1)
    assert wire.topics == [("a", [(0, 9, -1, MAX)])]


def test_below_fetch_v7_the_full_request_goes_out() -> None:
    fetch = opened().fetch(full(a0=9, b0=7))
    request = full(a0=9, b0=7)
    assert fetch.build(FetchRequest_v4).encode() == request.build(FetchRequest_v4).encode()


@pytest.mark.parametrize(
    ("error", "kept_id"),
    [(errors.FetchSessionIdNotFound.errno, 0), (errors.InvalidFetchSessionEpoch.errno, 42)],
)
def test_a_refused_fetch_makes_the_next_one_full(error: int, kept_id: int) -> None:
    session = opened()
    fetch = session.fetch(full(a0=9, a1=3, b0=7))
    session.answered(answer(0, error=error), fetch)
    again = session.fetch(full(a0=9, a1=3, b0=7))
    # a session the broker lost is not named again; one it still has is closed by the new one
    assert (again.session, again.epoch) == (kept_id, INITIAL)
    assert set(again.send) == {A0, A1, B0}


def test_no_answer_closes_the_session_and_opens_a_new_one() -> None:
    session = opened()
    session.fetch(full(a0=9, a1=3, b0=7))
    session.failed()  # a timeout, a lost connection, a cancelled fetch
    again = session.fetch(full(a0=9, a1=3, b0=7))
    assert (again.session, again.epoch) == (42, INITIAL) and set(again.send) == {A0, A1, B0}


def test_a_broker_that_opens_no_session_gets_full_fetches() -> None:
    session = Session()
    fetch = session.fetch(full(a0=5))
    session.answered(answer(0, A0), fetch)
    assert session.fetch(full(a0=6)).epoch == INITIAL


def test_a_throttled_empty_answer_to_a_full_fetch_opens_nothing() -> None:
    session = Session()
    fetch = session.fetch(full(a0=5))
    session.answered(answer(42, throttle=100), fetch)
    assert (session.id, session.epoch) == (0, INITIAL)


def test_the_epoch_wraps_to_one() -> None:
    session = opened()
    session.epoch = INT32_MAX
    fetch = session.fetch(full(a0=9, a1=3, b0=7))
    session.answered(answer(42), fetch)
    assert session.epoch == 1


def test_an_answer_outside_the_session_is_an_error_and_restarts_it() -> None:
    session = opened()
    fetch = session.fetch(full(a0=9, b0=7))
    with pytest.raises(errors.KafkaError):  # aiokafka's fetcher logs it and fetches again
        session.answered(answer(42, A1), fetch)  # a1 was forgotten by this very fetch
    assert session.fetch(full(a0=9, b0=7)).epoch == INITIAL


class Client:
    """aiokafka's client as the fetcher uses it: records what was sent, answers as told."""

    def __init__(self, *answers: Any) -> None:
        self.sent: list[Any] = []
        self.answers = list(answers)
        self.cluster = "the cluster"

    async def send(self, node_id: int, request: Any, **kwargs: Any) -> Any:
        self.sent.append(request)
        reply = self.answers.pop(0)
        if isinstance(reply, BaseException):
            raise reply
        return reply


def fetcher_with(client: Client, *tps: TopicPartition) -> Any:
    states = {tp: SimpleNamespace(timestamp=None) for tp in tps}
    subscriptions = SimpleNamespace(subscription=SimpleNamespace(assignment=assigned(states)))
    return SimpleNamespace(_client=client, _subscriptions=subscriptions, states=states)


def assigned(states: dict[TopicPartition, Any]) -> Any:
    """aiokafka's assignment as the session keeper reads it: its partitions' states."""
    return SimpleNamespace(state_value=states.get, active=True)


async def test_fetches_go_out_in_the_session_and_everything_else_as_it_was() -> None:
    client = Client("offsets", answer(42, A0, A1), answer(42, A0))
    fetcher = fetcher_with(client, A0, A1)
    sessions = FetchSessions(fetcher)
    assert sessions.cluster == "the cluster"  # the rest of the client is the client's
    other = SimpleNamespace(kind="ListOffsets")
    assert await sessions.send(1, other) == "offsets" and client.sent[0] is other
    await sessions.send(1, full(a0=5, a1=3))
    assert isinstance(client.sent[1], SessionFetch) and client.sent[1].epoch == INITIAL
    # an incremental answer stamps every partition of the session, named or not, as a full
    # answer does (Faust's stall check reads the time of the last fetch of each partition)
    await sessions.send(1, full(a0=8, a1=3))
    assert client.sent[2].send == {A0: (8, MAX)}
    assert fetcher.states[A1].timestamp is not None and fetcher.states[A0].timestamp is not None


async def test_a_fetch_without_an_answer_restarts_its_session() -> None:
    client = Client(answer(42, A0), errors.RequestTimedOutError(), answer(43, A0))
    sessions = FetchSessions(fetcher_with(client, A0))
    await sessions.send(1, full(a0=5))
    with pytest.raises(errors.RequestTimedOutError):
        await sessions.send(1, full(a0=6))
    await sessions.send(1, full(a0=6))
    assert (client.sent[2].session, client.sent[2].epoch) == (42, INITIAL)
    assert sessions.sessions[1].id == 43


async def test_a_new_assignment_makes_the_next_fetch_full() -> None:
    # its partitions start with no high watermark, which only a full answer gives them all
    client = Client(answer(42, A0, A1), answer(42, A0), answer(43, A0, A1))
    fetcher = fetcher_with(client, A0, A1)
    sessions = FetchSessions(fetcher)
    await sessions.send(1, full(a0=5, a1=3))
    await sessions.send(1, full(a0=8, a1=3))
    assert client.sent[1].epoch == 1
    fetcher._subscriptions.subscription.assignment = assigned(fetcher.states)  # a rebalance
    await sessions.send(1, full(a0=8, a1=3))
    assert client.sent[2].epoch == INITIAL and set(client.sent[2].send) == {A0, A1}


async def test_partitions_answered_with_an_error_or_refused_fetches_are_not_stamped() -> None:
    not_found = errors.FetchSessionIdNotFound.errno
    client = Client(answer(42, A0, A1), answer(42, A1, failing=(A1,)), answer(0, error=not_found))
    fetcher = fetcher_with(client, A0, A1)
    sessions = FetchSessions(fetcher)
    await sessions.send(1, full(a0=5, a1=3))
    await sessions.send(1, full(a0=5, a1=3))
    # a partition the broker cannot serve (a stale leader) is not shown as fetched
    assert fetcher.states[A1].timestamp is None and fetcher.states[A0].timestamp is not None
    fetcher.states[A0].timestamp = None
    await sessions.send(1, full(a0=5, a1=3))  # the whole fetch refused
    assert fetcher.states[A0].timestamp is None


async def test_a_fault_in_the_bookkeeping_is_an_error_the_fetcher_retries() -> None:
    # aiokafka's fetcher logs a KafkaError and fetches again; any other exception stops it
    client = Client(answer(42, A0), SimpleNamespace(error_code=0))  # an answer with no topics
    sessions = FetchSessions(fetcher_with(client, A0))
    await sessions.send(1, full(a0=5))
    with pytest.raises(errors.KafkaError):
        await sessions.send(1, full(a0=6))
    assert sessions.sessions[1].epoch == INITIAL
