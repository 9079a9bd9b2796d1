"""Stdlib-only Kafka Metadata request, used to tell when a broker really serves clients."""

from __future__ import annotations

import socket
import struct
from dataclasses import dataclass

METADATA_API_KEY = 3
METADATA_VERSION = 4  # non-flexible encoding, still supported after Kafka 4.0 dropped old versions
CLIENT_ID = b"localkafka-probe"


@dataclass(frozen=True)
class ClusterView:
    broker_ids: frozenset[int]
    controller_id: int


def parse_bootstrap(bootstrap: str) -> list[tuple[str, int]]:
    """'h1:p1,h2:p2' -> [(h1, p1), (h2, p2)]."""
    pairs = []
    for item in bootstrap.split(","):
        host, _, port = item.strip().rpartition(":")
        pairs.append((host or "127.0.0.1", int(port)))
    return pairs


def _request() -> bytes:
    header = struct.pack(">hhih", METADATA_API_KEY, METADATA_VERSION, 1, len(CLIENT_ID)) + CLIENT_ID
    body = struct.pack(">ib", 0, 0)  # ask for no topics, create none
    payload = header + body
    return struct.pack(">i", len(payload)) + payload


def _recv_exact(sock: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        if not chunk:
            raise ConnectionError("broker closed the connection")
        data += chunk
    return data


def _parse(buf: bytes) -> ClusterView:
    # correlation id, throttle time, then the brokers array
    (count,) = struct.unpack_from(">i", buf, 8)
    pos, ids = 12, set()
    for _ in range(count):
        node_id, host_len = struct.unpack_from(">ih", buf, pos)
        pos += 6 + host_len + 4  # skip host and port
        (rack_len,) = struct.unpack_from(">h", buf, pos)
        pos += 2 + max(rack_len, 0)
        ids.add(node_id)
    (cluster_len,) = struct.unpack_from(">h", buf, pos)
    pos += 2 + max(cluster_len, 0)
    (controller,) = struct.unpack_from(">i", buf, pos)
    return ClusterView(frozenset(ids), controller)


def metadata(host: str, port: int, timeout: float = 2.0) -> ClusterView:
    """Send one Metadata request; raises OSError/ConnectionError if the broker does not answer."""
    with socket.create_connection((host, port), timeout=timeout) as sock:
        sock.sendall(_request())
        (size,) = struct.unpack(">i", _recv_exact(sock, 4))
        return _parse(_recv_exact(sock, size))


def answers(bootstrap: str, timeout: float = 2.0) -> bool:
    """True if any address in `bootstrap` answers a Metadata request with a live controller."""
    for host, port in parse_bootstrap(bootstrap):
        try:
            if metadata(host, port, timeout).controller_id >= 0:
                return True
        except (OSError, struct.error):
            continue
    return False
