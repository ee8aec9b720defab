"""Records the broker deleted before a worker read them, made loud.

When a consumer's position no longer exists on the broker (the records were deleted by the topic's
retention before anyone read them, or the topic was recreated), aiokafka moves it to the oldest retained
record and says so at INFO, which the worker's log level hides. For a worker that is data loss: raw
signals never enriched, facts never counted. This filter turns that one message into an error that says
what it means, and keeps the fetcher's other INFO lines out as before.
"""
from __future__ import annotations

import logging

FETCHER_LOGGER = "aiokafka.consumer.fetcher"
# aiokafka's message (a %-format) when a fetch position is out of range and is reset
OUT_OF_RANGE_PREFIX = "Fetch offset %s is out of range"


class DeletedRecordsAlarm(logging.Filter):
    """Passes the fetcher's out-of-range message as an ERROR that explains it; other records below `floor`
    (the level the fetcher logged at before) stay out."""

    def __init__(self, floor: int) -> None:
        """Let records at `floor` and above through unchanged."""
        super().__init__()
        self.floor = floor

    def filter(self, record: logging.LogRecord) -> bool:
        """True for records to emit; rewrites the out-of-range one."""
        if isinstance(record.msg, str) and record.msg.startswith(OUT_OF_RANGE_PREFIX) and len(record.args or ()) >= 2:
            offset, partition = record.args[0], record.args[1]  # type: ignore[index]
            record.msg = ("offset %s of %s no longer exists on the broker: its records were deleted (topic "
                          "retention) or the topic was recreated before this worker read them; it goes on from "
                          "the oldest retained record, and what lay between was never read (signals not "
                          "enriched, facts not counted). Give the topic a longer retention.")
            record.args = (offset, partition)
            record.levelno, record.levelname = logging.ERROR, logging.getLevelName(logging.ERROR)
            return True
        return record.levelno >= self.floor


def watch_deleted_records() -> DeletedRecordsAlarm:
    """Install the alarm on aiokafka's fetcher logger (once) and let its INFO records reach it."""
    logger = logging.getLogger(FETCHER_LOGGER)
    for existing in logger.filters:
        if isinstance(existing, DeletedRecordsAlarm):
            return existing
    alarm = DeletedRecordsAlarm(logger.getEffectiveLevel())
    logger.addFilter(alarm)
    if logger.getEffectiveLevel() > logging.INFO:
        logger.setLevel(logging.INFO)
    return alarm
