"""The bundled starter models: where they live, how they load, and how the topic one is trained from the corpus."""
from __future__ import annotations

import json
import logging
from importlib import resources
from pathlib import Path
from typing import Any

from pipeline.models.corpus_builder import TOPIC_CODES, TOPIC_FILE, corpus_dir
from pipeline.models.model_dir import load_topic_model
from pipeline.models.topic_model import TrainedTopicModel

log = logging.getLogger(__name__)

# The SVM alone: on the template corpus the naive Bayes average is overconfident on generic text ("Hallo, ik heb
# een vraag"), which would hide it from needs_review. Call-note shorthand is written out at fit and predict time, as
# in the models trained on a municipality's own labels ("mw", "mevr" and "mevrouw" become one word, "i.v.m." and
# "ivm" too), so who called no longer leans on the spelling the corpus happened to use for each code; on the Katwijk
# reference reports this moved name-compatible accuracy by -0.0001 to +0.0011 on meldingen and 0 to +2 phone notes
# (corpus seeds 3, 5, 11). C is fixed at 0.5, the value the tuner had chosen for the previous starter models: on the
# template corpus the inner hold-out cannot tell 0.1, 0.2 and 0.5 apart (all about 0.99 macro-F1), so tuning there
# only made C flip with the size of the corpus; on the Katwijk reference reports 0.5 did better than 0.1 (0.814 vs
# 0.809 name-compatible on meldingen).
STARTER_TOPIC_PARAMS: dict[str, Any] = {"min_df": 2, "max_features": 60_000, "classifier": "svm", "C": 0.5,
                                        "class_weight": "balanced", "shorthand": True}
KEYWORD_REPEATS = 2


def starter_dir() -> Path:
    """The folder with the bundled starter models."""
    return Path(str(resources.files("pipeline.models").joinpath("starter")))


def starter_topic_dir() -> Path:
    """The bundled starter topic model directory."""
    return starter_dir() / "topic"


def starter_sentiment_dir() -> Path:
    """The bundled supervised sentiment model directory."""
    return starter_dir() / "sentiment"


def load_starter_topic_model() -> TrainedTopicModel:
    """The starter topic model over the fixed codes (raises ModelDirError when it was never trained)."""
    return load_topic_model(starter_topic_dir())


def taxonomy_document() -> dict[str, Any] | None:
    """The enricher's taxonomy (pipeline/enrich/data/taxonomy.json), or None when it is not available."""
    try:
        text = resources.files("pipeline.enrich").joinpath("data", "taxonomy.json").read_text(encoding="utf-8")
        return json.loads(text)
    except (ModuleNotFoundError, FileNotFoundError, json.JSONDecodeError) as err:
        log.warning("starter: taxonomy.json not readable (%s); training without its keywords", err)
        return None


def taxonomy_labels(document: dict[str, Any] | None) -> dict[str, str]:
    """Code -> Dutch label from the taxonomy, with the code itself as fallback."""
    labels = {code: code for code in TOPIC_CODES}
    for topic in (document or {}).get("topics", []):
        if topic.get("code") in labels and topic.get("label"):
            labels[topic["code"]] = topic["label"]
    labels.setdefault("overig", "Overig")
    if labels["overig"] == "overig":
        labels["overig"] = "Overig"
    return labels


def taxonomy_keyword_rows(document: dict[str, Any] | None, repeats: int = KEYWORD_REPEATS) -> list[tuple[str, str]]:
    """(keyword, code) rows from the taxonomy's strong keywords, each `repeats` times (weak ones are left out)."""
    rows: list[tuple[str, str]] = []
    for topic in (document or {}).get("topics", []):
        code = topic.get("code")
        if code not in TOPIC_CODES:
            continue
        words = list(topic.get("keywords", []))
        for sub in topic.get("subtopics", []):
            words += sub.get("keywords", [])
        for word in words:
            word = word.lstrip("=").strip()
            if word:
                rows.extend([(word, code)] * repeats)
    return rows


def corpus_topics_path() -> Path:
    """The team-written topic corpus CSV."""
    return corpus_dir() / TOPIC_FILE
