"""A model directory: model.joblib plus metadata.json (labels, version, date, data hash, params, metrics).

Loading unpickles model.joblib, which can run code: load only directories you trust. The file's
SHA-256 is checked against metadata.json so a damaged or swapped file is refused.
"""
from __future__ import annotations

import json
import logging
import warnings
from pathlib import Path
from typing import Any

import joblib
import sklearn

from pipeline.models.labelled_data import file_sha256
from pipeline.models.topic_model import TrainedTopicModel

log = logging.getLogger(__name__)

MODEL_FILE = "model.joblib"
METADATA_FILE = "metadata.json"
REPORT_FILE = "report.txt"
CONFUSION_PNG = "confusion.png"
TOPIC_FORMAT = "stadssignaal-topic-model/1"
SENTIMENT_FORMAT = "stadssignaal-sentiment-model/1"


class ModelDirError(ValueError):
    """A model directory that is missing, incomplete, damaged or of another kind."""


def save_model_dir(directory: str | Path, estimator: Any, metadata: dict[str, Any]) -> Path:
    """Write the estimator and its metadata (adding the model file's hash and the library versions)."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    model_path = directory / MODEL_FILE
    joblib.dump(estimator, model_path, compress=3)
    meta = dict(metadata)
    meta["model_file"] = MODEL_FILE
    meta["model_sha256"] = file_sha256(model_path)
    meta.setdefault("libraries", {})["scikit-learn"] = sklearn.__version__
    (directory / METADATA_FILE).write_text(json.dumps(meta, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return directory


def read_metadata(directory: str | Path) -> dict[str, Any]:
    """metadata.json of a model directory."""
    path = Path(directory) / METADATA_FILE
    if not path.is_file():
        raise ModelDirError(f"{directory}: no {METADATA_FILE}; is this a model directory made by `stadssignaal train`?")
    try:
        meta = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise ModelDirError(f"{path}: unreadable metadata ({err})") from None
    if not isinstance(meta, dict):
        raise ModelDirError(f"{path}: metadata must be a JSON object")
    return meta


def load_estimator(directory: str | Path, expected_format: str) -> tuple[Any, dict[str, Any]]:
    """The unpickled estimator and its metadata, after checking the format and the file hash."""
    directory = Path(directory)
    if not directory.is_dir():
        raise ModelDirError(f"model directory not found: {directory}")
    meta = read_metadata(directory)
    if meta.get("format") != expected_format:
        raise ModelDirError(f"{directory}: format {meta.get('format')!r}, expected {expected_format!r}")
    model_path = directory / str(meta.get("model_file", MODEL_FILE))
    if not model_path.is_file():
        raise ModelDirError(f"{directory}: model file {model_path.name} is missing")
    if meta.get("model_sha256") and file_sha256(model_path) != meta["model_sha256"]:
        raise ModelDirError(f"{model_path}: SHA-256 differs from metadata.json; the file is damaged or was replaced")
    trained_with = meta.get("libraries", {}).get("scikit-learn")
    if trained_with and trained_with != sklearn.__version__:
        log.warning("%s was saved with scikit-learn %s, running %s; retrain if predictions look wrong",
                    directory, trained_with, sklearn.__version__)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", category=UserWarning)
            estimator = joblib.load(model_path)
    except Exception as err:  # unpickling can fail in many ways; report one clear error
        raise ModelDirError(f"{model_path}: cannot load model ({type(err).__name__}: {err})") from None
    return estimator, meta


def load_topic_model(directory: str | Path) -> TrainedTopicModel:
    """A TopicModel from a directory written by `stadssignaal train` (or the bundled starter model)."""
    pipeline, meta = load_estimator(directory, TOPIC_FORMAT)
    if not hasattr(pipeline, "predict_proba") or not hasattr(pipeline, "classes_"):
        raise ModelDirError(f"{directory}: the stored object is not a probabilistic classifier")
    model = TrainedTopicModel(pipeline, version=str(meta.get("version", Path(directory).name)),
                              label_names=meta.get("label_names") or None)
    if str(meta.get("review_threshold_method", "")).startswith("calibrated"):
        model.review_threshold = float(meta["review_threshold"])
    log.info("loaded topic model %s (%d labels) from %s", model.version, len(model.codes), directory)
    return model
