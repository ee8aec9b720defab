"""Raw signal -> enriched signal: redaction, pseudonyms, language, topic, sentiment, keywords, place, query.

The names below load on first use, so that importing one light module (the redaction boundary, say) does not
load the language models.
"""
from __future__ import annotations

from importlib import import_module
from typing import Any

_EXPORTS = {"Enricher": "pipeline.enrich.enricher", "MODEL_VERSION": "pipeline.enrich.enricher",
            "TopicModel": "pipeline.enrich.topics", "KeywordTopicModel": "pipeline.enrich.topics"}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    """Load an exported name from its module on first use."""
    if name not in _EXPORTS:
        raise AttributeError(f"module 'pipeline.enrich' has no attribute {name!r}")
    return getattr(import_module(_EXPORTS[name]), name)
