"""The sentiment model the enricher uses by default: the shipped supervised model, loaded once per process."""
from __future__ import annotations

import logging
from functools import lru_cache
from typing import Any

log = logging.getLogger(__name__)

STARTER = "starter"
LEXICON = "lexicon"


@lru_cache(maxsize=1)
def _starter_model() -> Any:
    """The shipped supervised sentiment model, or None (logged) when it cannot be loaded."""
    try:
        from pipeline.models.sentiment_model import load_sentiment_model
        from pipeline.models.starter import starter_sentiment_dir

        return load_sentiment_model(starter_sentiment_dir())
    except Exception as err:  # a missing or unreadable model falls back to the lexicon, loudly
        log.error("sentiment: the shipped sentiment model could not be loaded (%s); using the lexicon scorer", err)
        return None


def default_sentiment_model(choice: str = STARTER) -> Any:
    """The model for a `sentiment_model` setting: 'starter', 'lexicon' (None: the lexicon scorer) or a directory.

    A directory that cannot be loaded raises ValueError (the setting is wrong); the shipped model never raises."""
    choice = (choice or STARTER).strip()
    if choice.lower() == LEXICON:
        return None
    if choice.lower() == STARTER:
        return _starter_model()
    from pipeline.models.model_dir import ModelDirError
    from pipeline.models.sentiment_model import load_sentiment_model

    try:
        return load_sentiment_model(choice)
    except (OSError, ModelDirError) as err:
        raise ValueError(f"sentiment model {choice!r} cannot be loaded: {err}") from None
