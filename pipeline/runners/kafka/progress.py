"""What a worker has done so far, kept in an optional JSON file (for operators, health checks and tests)."""
from __future__ import annotations

import json
import logging
import os
import time
from collections import Counter
from pathlib import Path
from typing import Any, Callable, Iterable

log = logging.getLogger(__name__)


class WorkerProgress:
    """Counters per agent plus the partitions this worker owns; written atomically after each batch."""

    def __init__(self, path: Path | None, partitions: Callable[[], Iterable[tuple[str, int]]] = lambda: (),
                 min_interval: float = 1.0) -> None:
        """Keep progress in `path` (None: in memory only); `partitions` lists owned (topic, partition)."""
        self.path = path
        self.counts: Counter[str] = Counter()
        self.min_interval = min_interval
        self._partitions = partitions
        self._failed = False
        self._dirty = False
        self._saved_at = 0.0

    def add(self, **counts: int) -> None:
        """Add to the counters (e.g. enriched=500, dead=2); saved at most every `min_interval` seconds."""
        self.counts.update({k: v for k, v in counts.items() if v})
        self._dirty = True
        if time.monotonic() - self._saved_at >= self.min_interval:
            self.save()

    def save_if_changed(self) -> None:
        """Save when counters changed since the last save (call from a timer)."""
        if self._dirty:
            self.save()

    def snapshot(self) -> dict[str, Any]:
        """The JSON-ready state."""
        owned: dict[str, list[int]] = {}
        try:
            for topic, partition in self._partitions():
                owned.setdefault(topic, []).append(partition)
        except Exception:  # noqa: BLE001 - the consumer may be between assignments
            owned = {}
        return {"pid": os.getpid(), "updated_at": time.time(), "counts": dict(self.counts),
                "partitions": {topic: sorted(parts) for topic, parts in sorted(owned.items())}}

    def save(self) -> None:
        """Write the file (temp file + rename, so readers never see half of it); errors are logged once."""
        self._dirty = False
        self._saved_at = time.monotonic()
        if self.path is None:
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_name(self.path.name + ".tmp")
            tmp.write_text(json.dumps(self.snapshot(), sort_keys=True), encoding="utf-8")
            os.replace(tmp, self.path)
        except OSError as err:
            if not self._failed:
                log.error("cannot write the progress file %s: %s", self.path, err)
            self._failed = True


def read_progress(path: Path) -> dict[str, Any] | None:
    """A progress file's content, or None when it does not exist (yet) or is unreadable."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
