"""API keys: parsed without ever echoing a key, looked up by digest, roles ranked."""

from __future__ import annotations

import pytest

from domain.access import Keyring, bearer, check

RING = Keyring.parse("write:w-key-0123456789abcdef, admin:a-key-0123456789abcdef\nread:r-key")


def test_a_key_has_its_role_and_an_unknown_one_none() -> None:
    assert RING.role_of("w-key-0123456789abcdef") == "write"
    assert RING.role_of("a-key-0123456789abcdef") == "admin"
    assert RING.role_of("r-key") == "read"
    assert RING.role_of("w-key-0123456789abcde") is None
    assert RING.role_of("") is None


def test_only_digests_are_kept_and_nothing_prints_a_key() -> None:
    kept = repr(RING) + str(RING.entries) + RING.peer_secret.hex()
    assert "w-key" not in kept and "a-key" not in repr(RING)
    assert all(len(d) == 32 for d, _ in RING.entries)
    assert RING.short == 1  # r-key


@pytest.mark.parametrize(
    "text",
    ["", "SECRET", "writer:SECRET", "write:", ":SECRET", "write:SECRET,admin:SECRET", "# SECRET"],
)
def test_a_bad_list_is_refused_without_showing_the_key(text: str) -> None:
    with pytest.raises(ValueError) as refused:
        Keyring.parse(text)
    assert "SECRET" not in str(refused.value)


def test_comments_and_lines_are_read() -> None:
    ring = Keyring.parse("# keys\nwrite:one  # the shop\n\nadmin:two,read:three\n")
    assert [r for _, r in ring.entries] == ["write", "admin", "read"]


def test_the_peer_secret_needs_every_key_and_the_app() -> None:
    assert Keyring.parse("write:a,admin:b", salt="x").peer_secret == (
        Keyring.parse("admin:b\nwrite:a", salt="x").peer_secret
    )
    assert Keyring.parse("write:a,admin:b", salt="x").peer_secret != (
        Keyring.parse("write:a,admin:b", salt="y").peer_secret
    )
    assert Keyring.parse("write:a", salt="x").peer_secret != (
        Keyring.parse("write:a,admin:b", salt="x").peer_secret
    )


@pytest.mark.parametrize(
    ("header", "token"),
    [("Bearer abc", "abc"), ("bearer  abc ", "abc"), ("Basic abc", None), ("Bearer", None),
     ("Bearer ", None), (None, None), ("abc", None)],
)  # fmt: skip
def test_the_bearer_token_is_read_from_the_header(header: str | None, token: str | None) -> None:
    assert bearer(header) == token


def test_who_may_do_what() -> None:
    w, a, r = ("Bearer " + k for k in ("w-key-0123456789abcdef", "a-key-0123456789abcdef", "r-key"))
    open_reads = {"read_auth": False, "peer": False}
    assert check(None, "admin", None, **open_reads) is None  # no keys: open
    assert check(RING, "public", None, **open_reads) is None
    assert check(RING, "read", None, **open_reads) is None
    assert check(RING, "write", w, **open_reads) is None
    assert check(RING, "write", a, **open_reads) is None
    assert check(RING, "admin", a, **open_reads) is None
    denied = check(RING, "write", None, **open_reads)
    assert denied is not None and (denied.status, denied.error) == (401, "unauthorized")
    denied = check(RING, "write", "Bearer nope", **open_reads)
    assert denied is not None and denied.status == 401
    denied = check(RING, "admin", w, **open_reads)
    assert denied is not None and (denied.status, denied.error) == (403, "forbidden")
    denied = check(RING, "write", r, **open_reads)
    assert denied is not None and denied.status == 403
    closed_reads = {"read_auth": True, "peer": False}
    denied = check(RING, "read", None, **closed_reads)
    assert denied is not None and denied.status == 401
    assert check(RING, "read", r, **closed_reads) is None
    assert check(RING, "read", None, read_auth=True, peer=True) is None  # a worker gathering
    denied = check(RING, "write", None, read_auth=True, peer=True)  # a forwarded write: its key
    assert denied is not None and denied.status == 401
    denied = check(RING, "peer", a, **open_reads)
    assert denied is not None and denied.status == 403
    assert check(RING, "peer", None, read_auth=False, peer=True) is None


def test_a_hash_inside_a_key_is_part_of_it() -> None:
    ring = Keyring.parse("write:abc#def  # a comment\n# write:other")
    assert ring.role_of("abc#def") == "write" and ring.role_of("abc") is None
    assert len(ring.entries) == 1
