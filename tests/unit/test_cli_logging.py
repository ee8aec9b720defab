"""Command logging: the product's own messages at INFO, Kafka and Elasticsearch clients only from WARNING."""
from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from pipeline.cli.log_setup import CHATTY_CLIENT_LOGGERS, configure_logging
from pipeline.enrich.pii.boundary import RedactingLogFilter


@pytest.fixture(autouse=True)
def restore_levels() -> Iterator[None]:
    """Put the root and client loggers' levels and handlers back after each test."""
    root = logging.getLogger()
    saved = {name: logging.getLogger(name).level for name in CHATTY_CLIENT_LOGGERS}
    saved_root, saved_handlers = root.level, list(root.handlers)
    yield
    for name, level in saved.items():
        logging.getLogger(name).setLevel(level)
    root.setLevel(saved_root)
    root.handlers[:] = saved_handlers


def test_at_info_the_product_logs_and_the_kafka_client_keeps_its_connection_chatter_back() -> None:
    configure_logging("INFO")
    assert logging.getLogger("pipeline.runners.local").isEnabledFor(logging.INFO)
    assert not logging.getLogger("kafka.net.connection").isEnabledFor(logging.INFO)
    assert not logging.getLogger("elastic_transport.transport").isEnabledFor(logging.INFO)
    assert logging.getLogger("kafka.consumer.fetcher").isEnabledFor(logging.WARNING)


def test_at_debug_the_clients_log_everything_again() -> None:
    configure_logging("debug")
    assert logging.getLogger("kafka.net.connection").isEnabledFor(logging.DEBUG)
    assert logging.getLogger("aiokafka.consumer").isEnabledFor(logging.DEBUG)


def test_every_root_handler_redacts() -> None:
    logging.getLogger().addHandler(logging.NullHandler())
    configure_logging("INFO")
    for handler in logging.getLogger().handlers:
        assert any(isinstance(f, RedactingLogFilter) for f in handler.filters)
