"""Incremental fetch sessions (KIP-227) for the worker consumer: a fetch names what changed.

aiokafka (0.14) sends every fetch as a full one. The request names each partition the worker
reads (its active partitions and the changelogs it keeps standbys of: about 40 on two workers)
and the broker answers for each of them, records or not. aiokafka builds and reads those
entries in pure Python: about 0.8 ms of a worker's CPU per fetch, and at a trickle every
record ends a fetch (the broker answers one as soon as one of its partitions has a record). At
10 orders/s that made a worker spend ~60 ms of CPU per order, six times what an order costs in
a backlog (docs/performance.md, "Fetch sessions").

Since Kafka 1.1 a client can open a fetch session instead, as the Java client does
(``FetchSessionHandler``): the broker keeps the partitions and their fetch offsets, a request
names only the partitions added or moved since the one before and those to forget, and the
answer holds only the partitions with records or news (a high watermark that moved, an error).

``FetchSessions`` gives aiokafka's fetcher that without changing it: it stands in for the
fetcher's client, turns each full ``FetchRequest`` the fetcher builds into its session's
incremental one, and follows the session from the answers, as ``FetchSessionHandler`` does:
an error, a lost answer or a cancelled fetch makes the next request a full one that opens a
new session, and so does a new assignment (its partitions start with no high watermark, which
a session would give only to those with news: found by a review, with a modelled broker).
The fetcher still sees full requests, so its checks (an answer for an offset that is not the
partition's position any more is dropped) work as before. ``ORDERS_FETCH_SESSIONS`` turns it
off.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from aiokafka import errors
from aiokafka.protocol.api import Request
from aiokafka.protocol.fetch import FetchRequest, FetchRequestStruct
from aiokafka.structs import TopicPartition

INITIAL = 0  # session epoch of a full request: opens a session (and closes the one named)
INT32_MAX = 2**31 - 1
SESSION_NOT_FOUND = errors.FetchSessionIdNotFound.errno

Wanted = dict[TopicPartition, tuple[int, int]]  # partition -> (fetch offset, max bytes)


class SessionFetch(Request[FetchRequestStruct]):  # type: ignore[misc]
    """One fetch of a session on the wire: the partitions to send and to forget, with the
    session's id and epoch; below Fetch v7 (no sessions) the full request it stands for."""

    API_KEY = 1

    def __init__(self, full: FetchRequest, session: int, epoch: int, send: Wanted,
                 forget: list[TopicPartition]) -> None:  # fmt: skip
        self.full, self.session, self.epoch = full, session, epoch
        self.send, self.forget = send, forget

    def build(self, request_struct_class: type[FetchRequestStruct]) -> FetchRequestStruct:
        version = request_struct_class.API_VERSION
        if version < 7:
            return self.full.build(request_struct_class)
        topics: dict[str, list[tuple[int, ...]]] = {}
        for tp, (offset, max_bytes) in self.send.items():
            entry = (tp.partition, -1, offset, -1, max_bytes) if version >= 9 else (
                tp.partition, offset, -1, max_bytes)  # fmt: skip
            topics.setdefault(tp.topic, []).append(entry)
        forgotten: dict[str, list[int]] = {}
        for tp in self.forget:
            forgotten.setdefault(tp.topic, []).append(tp.partition)
        full = self.full
        args: list[Any] = [-1, full._max_wait_ms, full._min_bytes, full._max_bytes,
                           full._isolation_level, self.session, self.epoch, list(topics.items()),
                           list(forgotten.items())]  # fmt: skip
        if version >= 11:
            args.append(full._rack_id)
        return request_struct_class(*args)


@dataclass
class Session:
    """One broker's fetch session as the client keeps it: its id, the epoch of the next
    request, and the partitions with the fetch offsets the broker holds for them."""

    id: int = 0
    epoch: int = INITIAL
    partitions: Wanted = field(default_factory=dict)

    def fetch(self, request: FetchRequest) -> SessionFetch:
        """The request for the next fetch: everything if the session is to be (re)opened, else
        only what changed since the last request; the session holds ``request``'s partitions
        from now on."""
        wanted = {TopicPartition(topic, p): (offset, max_bytes)
                  for topic, parts in request.topics for p, offset, max_bytes in parts}  # fmt: skip
        if self.epoch == INITIAL:
            send, forget = wanted, []
        else:
            send = {tp: v for tp, v in wanted.items() if self.partitions.get(tp) != v}
            forget = [tp for tp in self.partitions if tp not in wanted]
        self.partitions = wanted
        return SessionFetch(request, self.id, self.epoch, send, forget)

    def failed(self) -> None:
        """No answer (a network error, a timeout, a cancelled fetch): the broker may or may not
        have moved the session on, so the next request closes it and opens a new one."""
        self.epoch = INITIAL

    def answered(self, response: Any, sent: SessionFetch) -> None:
        """Follow the session from an answer to ``sent``; raises when the answer names a
        partition outside the session (the fetcher could not place it)."""
        error = getattr(response, "error_code", 0)
        if error:  # the whole fetch was refused: a session the broker lost, an old epoch
            self.id = 0 if error == SESSION_NOT_FOUND else self.id
            self.epoch = INITIAL
            return
        if extra := [(t, p[0]) for t, parts in response.topics for p in parts
                     if TopicPartition(t, p[0]) not in self.partitions]:  # fmt: skip
            self.epoch = INITIAL
            raise errors.KafkaError(f"fetch answered for partitions outside its session: {extra}")
        session = getattr(response, "session_id", 0)
        throttled = sent.epoch == INITIAL and not response.topics and response.throttle_time_ms
        if not session or throttled:  # no session (none opened, or closed): full requests
            self.id, self.epoch = 0, INITIAL
        elif sent.epoch == INITIAL:
            self.id, self.epoch = session, 1
        else:
            self.epoch = 1 if self.epoch == INT32_MAX else self.epoch + 1


class FetchSessions:
    """aiokafka's client as its fetcher sees it: fetches go out in a session per broker,
    every other request as it was."""

    def __init__(self, fetcher: Any) -> None:
        self._client = fetcher._client
        self._fetcher = fetcher
        self.sessions: dict[int, Session] = {}
        self._fetched_for: dict[int, Any] = {}  # node -> the assignment its session fetched for

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)

    async def send(self, node_id: int, request: Any, **kwargs: Any) -> Any:
        if type(request) is not FetchRequest:
            return await self._client.send(node_id, request, **kwargs)
        session = self.sessions.setdefault(node_id, Session())
        assignment = self._assignment()
        try:
            if self._fetched_for.get(node_id) is not assignment:
                # a new assignment starts its partitions with no high watermark: a full fetch
                # answers for each, where a session would name only those with news
                self._fetched_for[node_id] = assignment
                session.failed()
            fetch = session.fetch(request)
        except Exception as exc:  # the fetcher retries a KafkaError; anything else stops it
            session.failed()
            raise errors.KafkaError(f"fetch session: {exc!r}") from exc
        try:
            response = await self._client.send(node_id, fetch, **kwargs)
        except BaseException:
            session.failed()
            raise
        try:
            session.answered(response, fetch)
            if fetch.epoch != INITIAL and not getattr(response, "error_code", 0):
                self._answered_for(session, response, assignment)
        except errors.KafkaError:
            raise
        except Exception as exc:
            session.failed()
            raise errors.KafkaError(f"fetch session: {exc!r}") from exc
        return response

    def _assignment(self) -> Any:
        subscription = self._fetcher._subscriptions.subscription
        return subscription.assignment if subscription is not None else None

    def _answered_for(self, session: Session, response: Any, assignment: Any) -> None:
        """An incremental answer covers every partition of its session, named or not: stamp them
        as aiokafka stamps those of a full answer (Faust's stall check reads the time), except
        the ones it answers with an error, and none if the assignment changed meanwhile (the
        fetcher drops such an answer)."""
        if assignment is None or assignment is not self._assignment() or not assignment.active:
            return
        failed = {TopicPartition(t, p[0]) for t, parts in response.topics for p in parts if p[1]}
        now_ms = int(time.time() * 1000)
        for tp in session.partitions:
            if tp not in failed and (state := assignment.state_value(tp)) is not None:
                state.timestamp = now_ms
