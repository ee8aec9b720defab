"""A Faust monitor that skips per-message bookkeeping.

Faust's Monitor keeps rolling statistics for its web pages (disabled here) and is called several
times for every message consumed or produced; at thousands of signals per second that costs more
than it tells. Rebalance, assignment and commit hooks keep their default behaviour.
"""
from __future__ import annotations

from typing import Any

from faust.sensors import Monitor


class LeanMonitor(Monitor):
    """Monitor whose per-message, per-event and per-send hooks do nothing."""

    def on_message_in(self, tp: Any, offset: int, message: Any) -> None:
        """Not tracked."""

    def on_stream_event_in(self, tp: Any, offset: int, stream: Any, event: Any) -> None:
        """Not tracked."""
        return None

    def on_stream_event_out(self, tp: Any, offset: int, stream: Any, event: Any, state: Any = None) -> None:
        """Not tracked."""

    def on_message_out(self, tp: Any, offset: int, message: Any) -> None:
        """Not tracked."""

    def on_table_get(self, table: Any, key: Any) -> None:
        """Not tracked."""

    def on_table_set(self, table: Any, key: Any, value: Any) -> None:
        """Not tracked."""

    def on_send_initiated(self, producer: Any, topic: str, message: Any, keysize: int, valsize: int) -> None:
        """Not tracked."""
        return None

    def on_send_completed(self, producer: Any, state: Any, metadata: Any) -> None:
        """Not tracked."""

    def track_tp_end_offset(self, tp: Any, offset: int) -> None:
        """Not tracked."""
