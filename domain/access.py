"""Who may call what on the HTTP API: API keys with a role, kept only as their SHA-256 digests.

``ORDERS_API_KEYS="write:KEY1,admin:KEY2"``: a ``read`` key may read (when reads need a key at
all), a ``write`` key may also place orders, register users, fill carts and restock, an ``admin``
key may also redrive the DLQ and inject faults. A key is looked up by comparing its digest with
every stored digest in constant time (``hmac.compare_digest``), so neither the keys nor the
time an answer takes tell an attacker how close a guess came. Pure: no HTTP, no settings.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass
from typing import Final, Literal, get_args

Role = Literal["read", "write", "admin"]
Access = Literal["public", "read", "write", "admin", "peer"]  # what an operation needs
ROLES: Final[tuple[Role, ...]] = get_args(Role)
RANK: Final[dict[Role, int]] = {"read": 0, "write": 1, "admin": 2}
SHORT_KEY: Final = 16  # characters: a key shorter than this is warned about at start
_COMMENT: Final = re.compile(r"(^|\s)#.*$")  # a # that starts a line or follows a space


def digest(key: str) -> bytes:
    return hashlib.sha256(key.encode()).digest()


@dataclass(frozen=True)
class Keyring:
    """The configured keys as (digest, role); never the keys themselves."""

    entries: tuple[tuple[bytes, Role], ...]
    short: int = 0  # how many keys are shorter than SHORT_KEY
    peer_secret: bytes = b""  # what workers sign forwarded requests with (see ``parse``)

    @classmethod
    def parse(cls, text: str, *, salt: str = "") -> Keyring:
        """``role:key`` items separated by commas or new lines (a ``#`` at the start of a line or
        after a space starts a comment: one inside a key is part of it). Raises
        ValueError naming the item's position, never the key. The workers' shared secret for
        signing what they forward derives from every key (and ``salt``, the app id): whoever
        holds all the keys is an admin anyway, whoever holds one of several cannot forge it."""
        entries: list[tuple[bytes, Role]] = []
        keys: list[str] = []
        lines = (_COMMENT.sub("", line) for line in text.splitlines())
        items = [item.strip() for line in lines for item in line.split(",") if item.strip()]
        for n, item in enumerate(items, 1):
            role, sep, key = item.partition(":")
            role, key = role.strip(), key.strip()
            if not sep or role not in ROLES or not key:
                raise ValueError(f"API key #{n} is not role:key with a role of {', '.join(ROLES)}")
            if key in keys:
                raise ValueError(f"API key #{n} is given twice")
            keys.append(key)
            entries.append((digest(key), role))
        if not entries:
            raise ValueError("no API key is given")
        secret = hmac.new(("orders-peer:" + salt).encode(), "\n".join(sorted(keys)).encode(),
                          hashlib.sha256).digest()  # fmt: skip
        return cls(tuple(entries), sum(len(k) < SHORT_KEY for k in keys), secret)

    def role_of(self, key: str) -> Role | None:
        """The role of ``key``, or None; every stored digest is compared, whatever matches."""
        wanted, found = digest(key), None
        for stored, role in self.entries:
            if hmac.compare_digest(stored, wanted):
                found = role
        return found

    def __repr__(self) -> str:  # the digests stay out of logs and tracebacks too
        return f"Keyring({len(self.entries)} keys)"


@dataclass(frozen=True)
class Denied:
    status: Literal[401, 403]
    error: str
    detail: str


def bearer(authorization: str | None) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header (the scheme in any case)."""
    if not authorization:
        return None
    scheme, _, token = authorization.strip().partition(" ")
    token = token.strip()
    return token if scheme.lower() == "bearer" and token else None


def check(ring: Keyring | None, needs: Access, authorization: str | None, *,
          read_auth: bool, peer: bool) -> Denied | None:  # fmt: skip
    """None when the request may go on; else why not. No keyring: the API is open. ``peer``:
    the request carries a valid signature of another worker, which may read (it gathers for a
    client it checked); a write it forwards is checked by the client's own key."""
    if ring is None or needs == "public" or (needs == "read" and not read_auth):
        return None
    if needs == "peer" or (needs == "read" and peer):  # a worker reading for its client
        return None if peer else Denied(403, "forbidden", "only workers of this app call this")
    token = bearer(authorization)
    if token is None:
        return Denied(401, "unauthorized", "this operation needs Authorization: Bearer <API key>")
    role = ring.role_of(token)
    if role is None:
        return Denied(401, "unauthorized", "the API key is not known")
    if RANK[role] < RANK[needs]:
        return Denied(403, "forbidden", f"this operation needs a key of role {needs}, not {role}")
    return None
