"""Every Kafka topic the distributed runner uses, and creating them on a real cluster or on the mock."""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Iterable

from pipeline.runners.kafka.config import KafkaSettings

log = logging.getLogger(__name__)

# Faust tables of the counts agent; their changelog topics must exist before a worker starts.
TOPIC_COUNTS_TABLE = "topic-counts"
CHANNEL_COUNTS_TABLE = "channel-counts"
DETECTOR_STATE_TABLE = "detector-state"
TABLES = (TOPIC_COUNTS_TABLE, CHANNEL_COUNTS_TABLE, DETECTOR_STATE_TABLE)

# Kafka's API version for kafka-python clients: fixed, so no version probe is needed (the mock needs it).
KAFKA_PYTHON_API_VERSION = (2, 3)


@dataclass(frozen=True, slots=True)
class TopicSpec:
    """One topic to create: name, partitions and topic-level configs."""

    name: str
    partitions: int
    configs: tuple[tuple[str, str], ...] = ()


def required_topics(settings: KafkaSettings) -> list[TopicSpec]:
    """The public topics, the internal facts topics, Faust's leader topic and the table changelogs."""
    parts = settings.partitions
    compacted = (("cleanup.policy", "compact"),)
    specs = [
        TopicSpec(settings.topic_raw, parts),
        TopicSpec(settings.topic_enriched, parts),
        TopicSpec(settings.topic_alerts, parts),
        TopicSpec(settings.topic_deadletter, parts),
        # facts are read seconds after they are written, but a broker-wide size limit must never drop unread
        # ones (the counts and the detector would miss them): time-based retention only
        TopicSpec(settings.facts_topic, parts, (("retention.bytes", "-1"),)),
        TopicSpec(settings.detect_topic, parts, (("retention.bytes", "-1"),)),
        TopicSpec(settings.leader_topic, parts),
    ]
    specs += [TopicSpec(settings.changelog_topic(table), parts, compacted) for table in TABLES]
    return specs


def create_on_mock(cluster: Any, settings: KafkaSettings) -> list[str]:
    """Create every required topic on a MockCluster (which has no CreateTopics API); return the names."""
    names = []
    for spec in required_topics(settings):
        cluster.create_topic(spec.name, spec.partitions)
        names.append(spec.name)
    return names


def create_on_cluster(settings: KafkaSettings, timeout: float = 30.0) -> tuple[list[str], list[str]]:
    """Create the required topics on a real cluster with the admin API; return (created, already there)."""
    from kafka.admin import KafkaAdminClient, NewTopic
    from kafka.errors import TopicAlreadyExistsError

    admin = KafkaAdminClient(bootstrap_servers=settings.bootstrap_servers, client_id=f"{settings.app_id}-admin",
                             request_timeout_ms=int(timeout * 1000), api_version=KAFKA_PYTHON_API_VERSION)
    created: list[str] = []
    existing: list[str] = []
    try:
        present = set(admin.list_topics())
        wanted = [spec for spec in required_topics(settings) if spec.name not in present]
        existing = [spec.name for spec in required_topics(settings) if spec.name in present]
        for spec in wanted:
            topic = NewTopic(name=spec.name, num_partitions=spec.partitions,
                             replication_factor=settings.replication_factor, topic_configs=dict(spec.configs))
            try:
                admin.create_topics([topic], timeout_ms=int(timeout * 1000))
                created.append(spec.name)
            except TopicAlreadyExistsError:
                existing.append(spec.name)
    finally:
        admin.close()
    return created, existing


def topic_names(specs: Iterable[TopicSpec]) -> list[str]:
    """Just the names."""
    return [spec.name for spec in specs]
