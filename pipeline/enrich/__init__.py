"""Raw signal -> enriched signal: redaction, pseudonyms, language, topic, sentiment, keywords, place, query."""
from __future__ import annotations

from pipeline.enrich.enricher import MODEL_VERSION, Enricher
from pipeline.enrich.topics import KeywordTopicModel, TopicModel

__all__ = ["Enricher", "MODEL_VERSION", "TopicModel", "KeywordTopicModel"]
