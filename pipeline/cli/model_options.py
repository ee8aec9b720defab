"""--topic-model and --sentiment-model, shared by `enrich`, `run` and `worker`, and the enricher they build."""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from pipeline.core.settings import Settings


def build_enricher(settings: Settings, topic_model: Path | None = None, sentiment_model: Path | None = None) -> Any:
    """The enricher: keyword topics and lexicon sentiment, or the given model directories ('starter' allowed)."""
    from pipeline.enrich import Enricher

    topics = sentiments = None
    try:
        if topic_model is not None:
            from pipeline.models import load_topic_model
            from pipeline.models.starter import starter_topic_dir

            topics = load_topic_model(starter_topic_dir() if str(topic_model) == "starter" else topic_model)
        if sentiment_model is not None:
            from pipeline.models.sentiment_model import load_sentiment_model
            from pipeline.models.starter import starter_sentiment_dir

            sentiments = load_sentiment_model(
                starter_sentiment_dir() if str(sentiment_model) == "starter" else sentiment_model)
    except (OSError, ValueError) as err:
        raise click.UsageError(f"cannot load the model: {err}") from err
    return Enricher(settings, topic_model=topics, sentiment_model=sentiments)


MODEL_HELP = ("Directory of a topic model made by `stadssignaal train`, or 'starter' for the shipped model "
              "(default: the keyword taxonomy model).")
SENTIMENT_HELP = "Directory of a supervised sentiment model, or 'starter' (default: the lexicon scorer)."


def model_options(func: Any) -> Any:
    """--topic-model and --sentiment-model."""
    func = click.option("--sentiment-model", type=click.Path(path_type=Path), help=SENTIMENT_HELP)(func)
    return click.option("--topic-model", type=click.Path(path_type=Path), help=MODEL_HELP)(func)
