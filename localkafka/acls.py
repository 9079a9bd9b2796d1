"""ACLs on a secure local cluster: ``kafka-acls`` argument lines (what ``faust -A app acls``
prints) applied as its admin through confluent-kafka's admin client (aiokafka has no ACL API)."""

from __future__ import annotations

from typing import Any

from localkafka.secure import Secure


def acl_bindings(lines: list[str]) -> list[Any]:
    """``kafka-acls`` argument lines (``--add --allow-principal P --operation O --topic T
    --resource-pattern-type literal``, ``#`` comments) as confluent-kafka AclBindings."""
    from confluent_kafka.admin import (
        AclBinding,
        AclOperation,
        AclPermissionType,
        ResourcePatternType,
        ResourceType,
    )

    kinds = {"--topic": ResourceType.TOPIC, "--group": ResourceType.GROUP}
    found = []
    for raw in lines:
        words = raw.split("#", 1)[0].split()
        if not words:
            continue
        opts = dict(zip(words[1::2], words[2::2], strict=False)) if words[0] == "--add" else {}
        kind = next((k for k in kinds if k in opts), None)
        if kind is None or "--allow-principal" not in opts or "--operation" not in opts:
            raise ValueError(f"not an ACL line this launcher applies: {raw.strip()!r}")
        operation = AclOperation[_upper_snake(opts["--operation"])]
        pattern = ResourcePatternType[opts.get("--resource-pattern-type", "literal").upper()]
        found.append(AclBinding(kinds[kind], opts[kind], pattern, opts["--allow-principal"],
                                opts.get("--allow-host", "*"), operation,
                                AclPermissionType.ALLOW))  # fmt: skip
    return found


def _upper_snake(name: str) -> str:
    """DescribeConfigs -> DESCRIBE_CONFIGS, IdempotentWrite -> IDEMPOTENT_WRITE."""
    return "".join(f"_{c}" if c.isupper() and i else c for i, c in enumerate(name)).upper()


def apply_acls(bootstrap: str, secure: Secure, lines: list[str], timeout: float = 30) -> int:
    """Create every ACL of ``lines`` as the admin; returns how many."""
    from confluent_kafka.admin import AdminClient

    bindings = acl_bindings(lines)
    if not bindings:
        return 0
    admin = AdminClient(secure.client_config(bootstrap))
    for future in admin.create_acls(bindings, request_timeout=timeout).values():
        future.result(timeout)
    return len(bindings)
