"""Faust's partition assignor, optionally pausing before the group leader hands out the assignment.

In Kafka's group protocol every member sends SyncGroup after JoinGroup and the leader's carries the
assignment. A real broker keeps the assignment for followers that arrive late; librdkafka's mock
cluster answers a follower whose SyncGroup comes after the leader's with INVALID_REQUEST, and the
group can then keep rebalancing. Pausing the leader briefly (only when the group has more than one
member) lets the followers' SyncGroup arrive first. Set `leader_sync_delay` to 0 on a real cluster.
"""
from __future__ import annotations

import logging
import time
from typing import Any

from faust.assignor import PartitionAssignor

log = logging.getLogger(__name__)


class PatientAssignor(PartitionAssignor):
    """PartitionAssignor that waits `app.leader_sync_delay` seconds before assigning a multi-member group."""

    def assign(self, cluster: Any, member_metadata: Any) -> Any:
        """Compute the assignment; pause first when other members must send their SyncGroup."""
        delay = float(getattr(self.app, "leader_sync_delay", 0.0) or 0.0)
        if delay > 0 and len(member_metadata) > 1:
            log.info("group leader: waiting %.2f s for %d followers to sync", delay, len(member_metadata) - 1)
            time.sleep(delay)  # runs on the consumer thread, before this member's SyncGroup is sent
        return super().assign(cluster, member_metadata)
