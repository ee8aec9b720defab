"""The enricher as the settings ask for it: the shipped supervised sentiment model unless the `sentiment_model`
setting says 'lexicon' or names a model directory."""
from __future__ import annotations

from typing import Any

from pipeline.core.heap import collect_young_less_often, freeze_loaded_objects
from pipeline.core.settings import Settings
from pipeline.enrich.enricher import Enricher
from pipeline.models.sentiment_default import default_sentiment_model


def enricher_for(settings: Settings, topic_model: Any = None) -> Enricher:
    """An Enricher with the configured sentiment model (ValueError for a directory that cannot be loaded).

    What it loaded is then frozen out of the garbage collector's full passes, which would otherwise rescan the
    word lists and models again and again while signals stream through, and young collections run less often."""
    enricher = Enricher(settings, topic_model=topic_model,
                        sentiment_model=default_sentiment_model(settings.sentiment_model))
    freeze_loaded_objects()
    collect_young_less_often()
    return enricher
