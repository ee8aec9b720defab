"""--topic-model and --sentiment-model, shared by `enrich`, `run` and `worker`, and the enricher they build."""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from pipeline.core.settings import Settings


def build_enricher(settings: Settings, topic_model: Path | None = None, sentiment_model: Path | None = None,
                   model_registry: Path | None = None) -> Any:
    """The enricher: keyword topics and the shipped sentiment model, or the given models ('starter' allowed; for
    sentiment also 'lexicon'); with `model_registry` it follows the registry's current version between batches."""
    from pipeline.models.enricher_setup import enricher_for

    topics = None
    try:
        if topic_model is not None:
            from pipeline.models import load_topic_model
            from pipeline.models.starter import starter_topic_dir

            topics = load_topic_model(starter_topic_dir() if str(topic_model) == "starter" else topic_model)
        if sentiment_model is not None:
            settings = settings.model_copy(update={"sentiment_model": str(sentiment_model)})
        enricher = enricher_for(settings, topic_model=topics)
    except (OSError, ValueError) as err:
        raise click.UsageError(f"cannot load the model: {err}") from err
    if model_registry is None:
        return enricher
    from pipeline.models.hot_reload import ReloadingEnricher

    return ReloadingEnricher(enricher, model_registry)


MODEL_HELP = ("Directory of a topic model made by `stadssignaal train`, or 'starter' for the shipped model "
              "(default: the keyword taxonomy model).")
SENTIMENT_HELP = ("Directory of a supervised sentiment model, 'starter' (the shipped model) or 'lexicon' "
                  "(the lexicon scorer alone); default: the setting sentiment_model, which is 'starter'.")


def model_options(func: Any) -> Any:
    """--topic-model and --sentiment-model."""
    func = click.option("--sentiment-model", type=click.Path(path_type=Path), help=SENTIMENT_HELP)(func)
    return click.option("--topic-model", type=click.Path(path_type=Path), help=MODEL_HELP)(func)


REGISTRY_HELP = ("Model registry directory (`stadssignaal models retrain`): use its current version and switch, "
                 "without a restart, whenever a version is promoted or rolled back.")


def registry_option(func: Any) -> Any:
    """--model-registry (also STADSSIGNAAL_MODEL_REGISTRY)."""
    return click.option("--model-registry", type=click.Path(file_okay=False, path_type=Path),
                        envvar="STADSSIGNAAL_MODEL_REGISTRY", default=None, help=REGISTRY_HELP)(func)
