"""localkafka's pure parts: cluster ids the Kafka tools accept."""

from __future__ import annotations

import base64

from localkafka.config import new_cluster_id


def test_cluster_ids_are_16_byte_base64url_and_never_look_like_an_option() -> None:
    ids = [new_cluster_id() for _ in range(5000)]
    assert not [i for i in ids if i.startswith("-")]
    assert all(len(base64.urlsafe_b64decode(i + "==")) == 16 for i in ids)
    assert len(set(ids)) == len(ids)
