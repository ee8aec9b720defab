"""Train a topic model on any labelled CSV: split, tune, fit, validate, report and save a model directory."""
from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tqdm import tqdm

from pipeline.models.labelled_data import LabelledData, read_labelled_csv
from pipeline.models.model_dir import CONFUSION_PNG, REPORT_FILE, TOPIC_FORMAT, save_model_dir
from pipeline.models.report import EvaluationReport, evaluate_predictions
from pipeline.models.report_plot import save_confusion_png
from pipeline.models.splitting import holdout_split
from pipeline.models.topic_classifier import build_pipeline, merged_params, tune_c
from pipeline.models.topic_model import TrainedTopicModel

log = logging.getLogger(__name__)

DEFAULT_REVIEW_THRESHOLD = 0.4


@dataclass(slots=True)
class TrainResult:
    """What a training run produced."""

    directory: Path
    report: EvaluationReport
    report_text: str
    metadata: dict[str, Any]
    seconds: float


def validate_model(model: TrainedTopicModel, texts: Sequence[str], labels: Sequence[str],
                   review_threshold: float = DEFAULT_REVIEW_THRESHOLD) -> EvaluationReport:
    """The report of `model` on labelled texts (labels unknown to the model count as errors)."""
    predicted, confidence = model.classify(list(texts))
    return evaluate_predictions(list(labels), predicted, confidence, labels=model.codes,
                                review_threshold=review_threshold)


def train_topic_model(data_path: str | Path, out: str | Path, text_column: str = "text", label_column: str = "label",
                      time_column: str | None = None, params: dict[str, Any] | None = None, tune: bool = True,
                      refit_all: bool = False, progress: bool = True, name: str = "topic",
                      label_names: dict[str, str] | None = None,
                      extra_training: Sequence[tuple[str, str]] = (),
                      review_threshold: float = DEFAULT_REVIEW_THRESHOLD) -> TrainResult:
    """Train on `data_path`, validate on a held-out 20 %, write the model directory `out`.

    `extra_training` rows (text, label) join the training part only, never the validation part.
    With `refit_all` the saved model is refitted on every row after validation.
    """
    began = time.perf_counter()
    settings = merged_params(params)
    steps = 6 + (3 if tune else 0) + (1 if refit_all else 0)
    with tqdm(total=steps, desc="train", unit="step", disable=not progress, leave=True) as bar:
        def step(message: str) -> None:
            """Advance the progress bar with a short status."""
            bar.set_postfix_str(message[:60])
            bar.update(1)

        data = read_labelled_csv(data_path, text_column, label_column, time_column)
        step(f"read {len(data)} rows")
        if len(set(data.labels)) < 2:
            raise ValueError(f"need at least two different labels to train, found {sorted(set(data.labels))}")
        split = holdout_split(data.labels, data.times)
        train_part, validation_part = data.subset(split.train), data.subset(split.validation)
        step(split.method + " split")
        train_texts = train_part.texts + [t for t, _ in extra_training]
        train_labels = train_part.labels + [label for _, label in extra_training]
        tuning: dict[str, float] = {}
        if tune:
            settings["C"], tuning = tune_c(train_part.texts, train_part.labels, train_part.times, settings, step=step)
        pipeline = build_pipeline(settings, train_labels).fit(train_texts, train_labels)
        step("fitted on the training part")
        created = datetime.now(UTC)
        version = f"{name}-{created:%Y%m%d%H%M}-{data.sha256[:8]}"
        model = TrainedTopicModel(pipeline, version, label_names)
        report = validate_model(model, validation_part.texts, validation_part.labels, review_threshold)
        step(f"validated: macro-F1 {report.macro_f1:.3f}")
        if refit_all:
            pipeline = build_pipeline(settings, data.labels + train_labels[len(train_part):]).fit(
                data.texts + train_texts[len(train_part):], data.labels + train_labels[len(train_part):])
            step("refitted on all rows")
        seconds = time.perf_counter() - began
        metadata = _metadata(data, split.method, split.description, settings, tuning, report, version, created,
                             refit_all, seconds, name, label_names, len(extra_training), review_threshold,
                             (text_column, label_column, time_column), Path(data_path),
                             [str(c) for c in pipeline.classes_])
        out = Path(out)
        save_model_dir(out, pipeline, metadata)
        title = f"Validation report: {name} on {Path(data_path).name} ({split.description})"
        report_text = report.to_text(title)
        (out / REPORT_FILE).write_text(report_text + "\n", encoding="utf-8")
        save_confusion_png(report, out / CONFUSION_PNG, title=f"{name}: validation")
        step(f"saved {out}")
    return TrainResult(out, report, report_text, metadata, seconds)


def _metadata(data: LabelledData, method: str, description: str, settings: dict[str, Any], tuning: dict[str, float],
              report: EvaluationReport, version: str, created: datetime, refit_all: bool, seconds: float, name: str,
              label_names: dict[str, str] | None, extra_rows: int, review_threshold: float,
              columns: tuple[str, str, str | None], data_path: Path, labels: list[str]) -> dict[str, Any]:
    """The metadata.json content of a trained topic model."""
    return {
        "format": TOPIC_FORMAT,
        "kind": "topic",
        "name": name,
        "version": version,
        "created": created.isoformat(timespec="seconds"),
        "labels": labels,
        "label_names": label_names or {},
        "data": {
            "file": data_path.name,
            "sha256": data.sha256,
            "rows": len(data),
            "skipped_rows": data.skipped,
            "text_column": columns[0],
            "label_column": columns[1],
            "time_column": columns[2],
            "extra_training_rows": extra_rows,
        },
        "split": {"method": method, "description": description, "validation_share": 0.2},
        "params": settings,
        "tuning": {"metric": "inner hold-out macro-F1", "scores_by_C": tuning} if tuning else {},
        "refit_on_all_rows": refit_all,
        "review_threshold": review_threshold,
        "metrics": report.to_dict(),
        "training_seconds": round(seconds, 2),
    }
