"""``faust -A app acls [--principal User:app]``: every Kafka ACL the app's user needs, one per line
as ``kafka-acls`` arguments, each with why it is there. ``python -m localkafka start --secure``
applies the same list; so can ``kafka-acls --bootstrap-server … --command-config admin.properties``
line by line.

Derived, not written down twice: which topics each agent reads and what it sends (the same
``actors()`` as the AsyncAPI document), the topics the tools read and write (replay, the DLQ
tool, ``send``, the simulator), Faust's own topics (changelogs, the repartition, the leader
topic, named after the app id, so one prefixed ACL) and the app's consumer group. Nothing on the
cluster resource: no ``Alter`` (no ACLs of its own), no ``Delete`` on any topic.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from faust.cli import AppCommand, option

from app.application import app
from app.cli.asyncapi import actors
from app.settings import settings
from app.topics import SPECS
from domain.messages import MESSAGE_TYPES

TOOLS_READ = {  # what the commands beside the workers read (besides the agents' topics)
    "orders.events": "faust -A app replay",
    "inventory.commands": "faust -A app replay",
    "orders.dlq": "faust -A app dlq / replay",
}
CREATE = ("Create", "DescribeConfigs")  # faust -A app create-topics, and Faust's own declares


@dataclass(frozen=True, order=True)
class Acl:
    resource: str  # Topic, Group
    name: str
    pattern: str  # literal, prefixed
    operation: str
    why: str = ""

    def args(self, principal: str) -> str:
        flag = {"Topic": "--topic", "Group": "--group"}[self.resource]
        return (f"--add --allow-principal {principal} --operation {self.operation} "
                f"{flag} {self.name} --resource-pattern-type {self.pattern}")  # fmt: skip


def needed() -> list[Acl]:
    """The app's ACLs, in a stable order."""
    reads: dict[str, set[str]] = defaultdict(set)
    writes: dict[str, set[str]] = defaultdict(set)
    for actor in actors():
        if actor.reads:
            reads[actor.reads].add(actor.name)
        for sent in actor.sends:
            writes[MESSAGE_TYPES[sent].stream if sent in MESSAGE_TYPES else "orders.dlq"].add(
                actor.name
            )
    for topic, tool in TOOLS_READ.items():
        reads[topic].add(tool)
    for topic in list(reads):  # a dead letter goes back where it came from: POST /dlq/redrive
        if topic != "orders.dlq" and any(a != "catalog-reader" for a in reads[topic]):
            writes[topic].add("redrive")
    acls = []
    for spec in SPECS:
        name = spec.real_name
        acls.append(Acl("Topic", name, "literal", "Describe", "every client of the topic"))
        acls += [Acl("Topic", name, "literal", op, "create-topics") for op in CREATE]
        if spec.name in reads:
            acls.append(Acl("Topic", name, "literal", "Read", f"read by {_list(reads[spec.name])}"))
        if spec.name in writes:
            why = f"written by {_list(writes[spec.name])}"
            acls.append(Acl("Topic", name, "literal", "Write", why))
    own = f"{settings.app_id}-"
    why = "Faust's changelogs, repartition and leader topics, the DLQ index (named for the app)"
    acls += [Acl("Topic", own, "prefixed", op, why)
             for op in ("Describe", *CREATE, "Read", "Write")]  # fmt: skip
    acls += [
        Acl("Group", settings.app_id, "literal", "Read", "the workers' consumer group"),
        Acl("Group", settings.app_id, "literal", "Describe", "the backlog for admission (lag)"),
    ]
    return sorted(acls)


def _list(names: set[str]) -> str:
    return ", ".join(sorted(names))


@app.command(option("--principal", default="User:app", help="Whom the ACLs allow."))
async def acls(self: AppCommand, principal: str) -> None:
    """Print every ACL the app's Kafka user needs, as kafka-acls arguments with why."""
    for acl in needed():
        print(f"{acl.args(principal)}  # {acl.why}")
