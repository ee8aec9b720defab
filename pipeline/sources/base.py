"""What every source is: a resumable producer of batches of raw signals and dead letters."""
from __future__ import annotations

import threading
from typing import Any, Iterator, Protocol

from pipeline.core.signal import SourceBatch


class Source(Protocol):
    """A resumable source of raw signals."""

    name: str

    def batches(self, cursor: dict[str, Any] | None, stop: threading.Event) -> Iterator[SourceBatch]:
        """Yield batches starting after `cursor` (None: from the start) until exhausted or `stop` is set."""
        ...
