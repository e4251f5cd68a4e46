"""Consumer groups through confluent-kafka, one request per group: the path for clusters that
kafka-python cannot log in to (OAUTHBEARER, GSSAPI). Slower at scale (docs/collector.md) and
exposed to librdkafka#5397, which the child process of :mod:`workbench.collect.worker` contains.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from workbench.collect.groups import GroupColumns
from workbench.collect.kafka import KafkaAdmin

if TYPE_CHECKING:
    from workbench.collect.offsets import GroupFilter

#: SASL mechanisms kafka-python cannot use with the workbench's settings.
CONFLUENT_ONLY = {"OAUTHBEARER", "GSSAPI"}


def needs_confluent(config: dict[str, str] | object) -> bool:
    """True when the client settings name a SASL mechanism only librdkafka handles here."""
    get = getattr(config, "get", lambda _k, d=None: d)
    mechanism = get("sasl.mechanism") or get("sasl.mechanisms") or ""
    return str(mechanism).upper() in CONFLUENT_ONLY


class ConfluentGroups:
    """The :class:`~workbench.collect.groups.GroupsClient` interface over :class:`KafkaAdmin`."""

    def __init__(self, admin: KafkaAdmin) -> None:
        self.admin = admin

    def close(self) -> None:
        """Nothing to close: the admin client belongs to the caller."""

    def fetch(self, keep: GroupFilter) -> tuple[list[str], GroupColumns]:
        """Every kept group's state, members and commits (all requests in flight at once)."""
        ids = keep.select(self.admin.list_groups())
        described, committed = self.admin.submit_describe(ids), self.admin.submit_committed(ids)
        descriptions = self.admin.resolve_descriptions(described)
        commits = self.admin.resolve_committed(committed)
        cols = GroupColumns()
        for gid in ids:
            desc = descriptions.get(gid)
            cols.states["group"].append(gid)
            cols.states["group_state"].append(desc.state if desc else None)
            for m in desc.members if desc else ():
                for topic, partition in m.partitions:
                    for key, value in zip(
                        cols.assigned, (gid, topic, partition, m.member_id, m.client_id, m.host), strict=True
                    ):
                        cols.assigned[key].append(value)
            if gid not in commits:
                cols.failed[gid] = "committed offsets did not answer"
                continue
            for (topic, partition), offset in commits[gid].items():
                for key, value in zip(cols.committed, (gid, topic, partition, offset), strict=True):
                    cols.committed[key].append(value)
        return ids, cols
