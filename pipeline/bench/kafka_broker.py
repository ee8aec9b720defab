"""A real Kafka wire-protocol broker for tests and benchmarks: librdkafka's mock cluster via ctypes.

The mock cluster ships inside the confluent-kafka wheel. It speaks the Kafka protocol over TCP,
keeps data in memory only and lives as long as the process that started it. It does not support
CreateTopics, so topics are created on the mock itself with `rd_kafka_mock_topic_create`.
"""
from __future__ import annotations

import ctypes
import glob
import logging
import os
from types import TracebackType
from typing import Iterable

log = logging.getLogger(__name__)

_RD_KAFKA_PRODUCER = 0
_ERR_TOPIC_ALREADY_EXISTS = 36
_ERRSTR_SIZE = 512


class MockClusterError(RuntimeError):
    """The mock cluster could not be started or changed."""


def find_librdkafka() -> str:
    """The path of the librdkafka shared library bundled with the confluent-kafka wheel."""
    try:
        import confluent_kafka
    except ImportError as err:  # pragma: no cover - depends on the environment
        raise MockClusterError("confluent-kafka is not installed (pip install confluent-kafka)") from err
    package_dir = os.path.dirname(confluent_kafka.__file__)
    candidates = sorted(glob.glob(os.path.join(package_dir + ".libs", "librdkafka*.so*")))
    candidates += sorted(glob.glob(os.path.join(package_dir, "**", "librdkafka*.so*"), recursive=True))
    if not candidates:
        raise MockClusterError(f"no bundled librdkafka found next to {package_dir}")
    return candidates[0]


def _load_library(path: str) -> ctypes.CDLL:
    """Load librdkafka and declare the signatures of the functions used here."""
    lib = ctypes.CDLL(path)
    vp, cp, ci = ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int
    lib.rd_kafka_conf_new.restype = vp
    lib.rd_kafka_conf_new.argtypes = []
    lib.rd_kafka_conf_set.restype = ci
    lib.rd_kafka_conf_set.argtypes = [vp, cp, cp, cp, ctypes.c_size_t]
    lib.rd_kafka_conf_destroy.restype = None
    lib.rd_kafka_conf_destroy.argtypes = [vp]
    lib.rd_kafka_new.restype = vp
    lib.rd_kafka_new.argtypes = [ci, vp, cp, ctypes.c_size_t]
    lib.rd_kafka_destroy.restype = None
    lib.rd_kafka_destroy.argtypes = [vp]
    lib.rd_kafka_handle_mock_cluster.restype = vp
    lib.rd_kafka_handle_mock_cluster.argtypes = [vp]
    lib.rd_kafka_mock_cluster_bootstraps.restype = cp
    lib.rd_kafka_mock_cluster_bootstraps.argtypes = [vp]
    lib.rd_kafka_mock_topic_create.restype = ci
    lib.rd_kafka_mock_topic_create.argtypes = [vp, cp, ci, ci]
    lib.rd_kafka_mock_group_initial_rebalance_delay_ms.restype = None
    lib.rd_kafka_mock_group_initial_rebalance_delay_ms.argtypes = [vp, ctypes.c_int32]
    lib.rd_kafka_err2str.restype = cp
    lib.rd_kafka_err2str.argtypes = [ci]
    return lib


class MockCluster:
    """An in-process Kafka mock cluster reachable over TCP at `bootstrap` (host:port list).

    Use as a context manager, or call `close()`; the cluster stops when this object is closed.
    """

    def __init__(self, brokers: int = 1, initial_rebalance_delay_ms: int = 0) -> None:
        """Start a mock cluster with `brokers` brokers; the group rebalance delay defaults to none."""
        self._lib = _load_library(find_librdkafka())
        errstr = ctypes.create_string_buffer(_ERRSTR_SIZE)
        conf = self._lib.rd_kafka_conf_new()
        for key, value in (("test.mock.num.brokers", str(brokers)), ("log_level", "3")):
            if self._lib.rd_kafka_conf_set(conf, key.encode(), value.encode(), errstr, _ERRSTR_SIZE) != 0:
                self._lib.rd_kafka_conf_destroy(conf)
                raise MockClusterError(f"cannot set {key}: {errstr.value.decode(errors='replace')}")
        # rd_kafka_new takes ownership of conf on success only.
        self._rk = self._lib.rd_kafka_new(_RD_KAFKA_PRODUCER, conf, errstr, _ERRSTR_SIZE)
        if not self._rk:
            self._lib.rd_kafka_conf_destroy(conf)
            raise MockClusterError(f"cannot start the mock cluster: {errstr.value.decode(errors='replace')}")
        self._cluster = self._lib.rd_kafka_handle_mock_cluster(self._rk)
        if not self._cluster:
            self.close()
            raise MockClusterError("librdkafka did not create a mock cluster")
        self._lib.rd_kafka_mock_group_initial_rebalance_delay_ms(self._cluster, int(initial_rebalance_delay_ms))
        self.bootstrap: str = self._lib.rd_kafka_mock_cluster_bootstraps(self._cluster).decode()
        log.info("mock Kafka cluster with %d broker(s) at %s", brokers, self.bootstrap)

    def create_topic(self, name: str, partitions: int = 1, replication_factor: int = 1) -> None:
        """Create a topic on the mock (the mock refuses the CreateTopics API); existing topics are kept."""
        if self._cluster is None:
            raise MockClusterError("the mock cluster is closed")
        err = self._lib.rd_kafka_mock_topic_create(
            self._cluster, name.encode(), int(partitions), int(replication_factor))
        if err not in (0, _ERR_TOPIC_ALREADY_EXISTS):
            message = self._lib.rd_kafka_err2str(err).decode(errors="replace")
            raise MockClusterError(f"cannot create topic {name!r}: {message}")

    def create_topics(self, topics: Iterable[tuple[str, int]]) -> None:
        """Create several topics given as (name, partitions) pairs."""
        for name, partitions in topics:
            self.create_topic(name, partitions)

    def close(self) -> None:
        """Stop the cluster and free the handle that owns it (idempotent)."""
        if self._rk:
            self._lib.rd_kafka_destroy(self._rk)
        self._rk = None
        self._cluster = None

    def __enter__(self) -> "MockCluster":
        """The running cluster."""
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        """Stop the cluster."""
        self.close()
