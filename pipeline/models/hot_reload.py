"""Switch an enricher's models when a version is promoted or rolled back, without a restart.

Before each batch the enricher checks the registry's CURRENT pointer: at most once per `check_every` seconds,
and then only one stat. When the pointer changed, the new version's models are loaded and swapped in between
batches; a version that cannot be loaded is logged and the models in use stay.
"""
from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from pipeline.models.model_dir import load_topic_model
from pipeline.models.registry import ModelRegistry
from pipeline.models.sentiment_model import load_sentiment_model

log = logging.getLogger(__name__)

CHECK_EVERY_SECONDS = 2.0


class ReloadingEnricher:
    """Wraps an Enricher (anything with topic_model, model_version and sentiment_model) and follows the registry."""

    def __init__(self, enricher: Any, registry: ModelRegistry | str | Path,
                 check_every: float = CHECK_EVERY_SECONDS, clock: Callable[[], float] = time.monotonic) -> None:
        """Follow `registry`; the enricher's own models are used while no version is current."""
        self.enricher = enricher
        self.registry = registry if isinstance(registry, ModelRegistry) else ModelRegistry(registry)
        self.check_every = check_every
        self._clock = clock
        self._base = (enricher.topic_model, enricher.model_version, enricher.sentiment_model)
        self._stamp: tuple[int, int, int] | None = None
        self._checked: float | None = None
        self._lock = threading.Lock()
        self.version: str | None = None
        self.switches = 0
        self.refresh(force=True)

    def refresh(self, force: bool = False) -> bool:
        """Swap in the current version's models when the pointer changed; True when models were switched."""
        now = self._clock()
        if not force and self._checked is not None and now - self._checked < self.check_every:
            return False
        if not self._lock.acquire(blocking=False):
            return False   # another thread is switching already
        try:
            self._checked = now
            stamp = self.registry.stamp()
            if stamp == self._stamp and not force:
                return False
            self._stamp = stamp
            return self._apply()
        finally:
            self._lock.release()

    def _apply(self) -> bool:
        """Load the current version (or go back to the base models) and swap them in."""
        name = self.registry.current_name()
        if name == self.version and self.switches:
            return False
        topic, version, sentiment = self._base
        try:
            if name is not None:
                current = self.registry.get(name)
                if current.models.get("topic") is not None:
                    topic = load_topic_model(current.models["topic"])  # type: ignore[arg-type]
                    version = topic.version
                if current.models.get("sentiment") is not None:
                    sentiment = load_sentiment_model(current.models["sentiment"])  # type: ignore[arg-type]
        except (OSError, ValueError) as err:
            log.error("model registry %s: cannot load version %s (%s); keeping the models in use",
                      self.registry.root, name, err)
            return False
        self.enricher.topic_model, self.enricher.model_version, self.enricher.sentiment_model = topic, version, sentiment
        if name != self.version or self.switches == 0:
            log.info("model registry %s: now using %s", self.registry.root, name or "the models the runner started with")
        self.version = name
        self.switches += 1
        return True

    def enrich(self, raw: Any) -> Any:
        """Enrich one signal with the current models."""
        self.refresh()
        return self.enricher.enrich(raw)

    def enrich_many(self, raws: Iterable[Any]) -> Any:
        """Enrich a batch with the current models (checked before the batch)."""
        self.refresh()
        return self.enricher.enrich_many(raws)

    def __getattr__(self, name: str) -> Any:
        """Everything else is the wrapped enricher's."""
        return getattr(self.enricher, name)
