"""Where a keyed read is answered, from a hand-made assignment: here, by its owner, or a 503."""

from __future__ import annotations

from collections.abc import AsyncIterator, Collection
from types import SimpleNamespace
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer, make_mocked_request
from faust.types import TP

from app.runtime.assignment import Assignment
from views.http import routing
from views.http.routing import FORWARDED, Forward, Refuse, decide

ME, PEER = "http://w1:6066", "http://w2:6067"
CHANGELOG = "orders-order-status-changelog"
NOT_HERE = Refuse(f"partition 0 of {CHANGELOG} is not active on this worker")


def group(
    mine: Collection[int] = (0,),
    theirs: Collection[int] = (1,),
    active: Collection[int] | None = None,
    moving: str | None = None,
    peer: str = PEER,
) -> Assignment:
    """This worker owns ``mine`` (active unless ``active`` says otherwise), the peer ``theirs``."""
    owners = {ME + "/": {CHANGELOG: list(mine)}, peer: {CHANGELOG: list(theirs)}}
    here = mine if active is None else active
    actives = {TP(CHANGELOG, p) for p in here}
    return Assignment(me=ME, owners=owners, active=actives, moving=moving, generation=3)


@pytest.mark.parametrize(
    ("assignment", "partition", "forwarded", "where"),
    [
        # owned here, active, settled: answered here
        (group(), 0, False, None),
        # owned by another worker: forwarded to it
        (group(), 1, False, Forward(PEER)),
        # forwarded to this worker, which owns it: answered, never forwarded again
        (group(), 0, True, None),
        # forwarded here while the group moved the partition away: refused, not bounced back
        (group(), 1, True, Refuse(f"partition 1 of {CHANGELOG} is not active on this worker")),
        # nobody owns the partition yet
        (group(), 2, False, Refuse("no worker owns partition 2 yet")),
        # rebalancing or recovering: no answer from a table that may be behind
        (group(moving="rebalancing"), 0, False, Refuse(
            "this worker is rebalancing or recovering its tables")),
        # owned here in the metadata, not (or no longer) active here
        (group(active=()), 0, False, NOT_HERE),
    ],
)  # fmt: skip
def test_where_a_keyed_request_is_answered(
    assignment: Assignment, partition: int, forwarded: bool, where: Forward | Refuse | None
) -> None:
    assert decide(assignment, TP(CHANGELOG, partition), forwarded=forwarded) == where


TABLE: Any = SimpleNamespace(
    changelog_topic=SimpleNamespace(get_topic_name=lambda: CHANGELOG), partitions=3, data={}
)  # ``data``: a store with no record cache in front of it


@pytest.fixture()
async def peers() -> AsyncIterator[None]:
    """The pool to other workers belongs to one event loop: each test closes its own."""
    yield
    while routing._peers:
        await routing._peers.pop().close()


async def here() -> web.Response:
    return web.json_response({"answered": "here"})


def key_on(partition: int) -> str:
    return next(f"k-{n}" for n in range(1000) if routing.partition_of(TABLE, f"k-{n}").partition
                == partition)  # fmt: skip


async def test_an_owner_alive_answers_the_forwarded_request(
    peers: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a peer that owns partition 1 and answers
    seen: list[str] = []

    async def owner(request: web.Request) -> web.Response:
        seen.append(request.headers.get(FORWARDED, ""))
        return web.json_response({"answered": "by the owner"}, headers={"Retry-After": "1"})

    peer_app = web.Application()
    peer_app.router.add_get("/users/{key}", owner)
    async with TestServer(peer_app) as server:
        peer = str(server.make_url("")).rstrip("/")
        monkeypatch.setattr(Assignment, "now", staticmethod(lambda: group(peer=peer)))
        # When a key of partition 1 is asked here
        key = key_on(1)
        answer = await routing.route(make_mocked_request("GET", f"/users/{key}"), TABLE, key, here)
    # Then the owner's answer comes back as it gave it, and it knew the request was forwarded
    assert answer.status == 200 and answer.body == b'{"answered": "by the owner"}'
    assert answer.headers["Retry-After"] == "1" and len(seen) == 1 and seen[0]


async def test_an_owner_that_does_not_answer_is_a_503(
    peers: None, monkeypatch: pytest.MonkeyPatch, unused_tcp_port: int
) -> None:
    dead = f"http://127.0.0.1:{unused_tcp_port}"
    monkeypatch.setattr(Assignment, "now", staticmethod(lambda: group(peer=dead)))
    key = key_on(1)
    answer = await routing.route(make_mocked_request("GET", f"/users/{key}"), TABLE, key, here)
    assert answer.status == 503 and "Retry-After" in answer.headers
    assert f"({dead}) is unreachable" in (answer.text or "")


async def test_a_rebalancing_worker_answers_503_not_its_table(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(Assignment, "now", staticmethod(lambda: group(moving="rebalancing")))
    key = key_on(0)
    answer = await routing.route(make_mocked_request("GET", f"/users/{key}"), TABLE, key, here)
    assert answer.status == 503 and "rebalancing" in (answer.text or "")
