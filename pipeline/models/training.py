"""Train a topic model on any labelled CSV: split, tune, fit, validate, report and save a model directory."""
from __future__ import annotations

import logging
import time
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

from pipeline.models.baseline_char import BASELINE_NAME, char_baseline_predictions
from pipeline.models.label_consistency import LabelConsistency, label_consistency
from pipeline.models.labelled_data import LabelledData, read_labelled_csv
from pipeline.models.model_dir import CONFUSION_PNG, REPORT_FILE, TOPIC_FORMAT, save_model_dir
from pipeline.models.report import EvaluationReport, evaluate_predictions
from pipeline.models.report_plot import save_confusion_png
from pipeline.models.review import REVIEW_TARGET_ACCURACY, review_threshold_for
from pipeline.models.splitting import date_split, holdout_split
from pipeline.models.topic_classifier import build_pipeline, c_grid, merged_params, tune_c
from pipeline.models.topic_data import MIN_ROWS_PER_LABEL, check_topic_data
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
    warnings: list[str] = field(default_factory=list)
    baseline: EvaluationReport | None = None
    consistency: LabelConsistency | None = None


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
                      review_threshold: float | None = None, baseline: bool = True,
                      known_labels: Collection[str] | None = None,
                      min_rows_per_label: int = MIN_ROWS_PER_LABEL,
                      validate_from: datetime | None = None) -> TrainResult:
    """Train on `data_path`, validate on a held-out 20 %, write the model directory `out`.

    `extra_training` rows (text, label) join the training part only, never the validation part.
    With `refit_all` the saved model is refitted on every row after validation. `review_threshold` None: the
    needs_review threshold is calibrated out of fold (see review.py). `baseline` also fits and reports the
    character TF-IDF + logistic regression baseline on the same split. Rows with a label outside `known_labels`
    (when given) or of a label with fewer than `min_rows_per_label` rows are left out with a warning.
    `validate_from` (needs `time_column`): validate on the rows from that time on instead of the newest 20 %.
    """
    began = time.perf_counter()
    settings = merged_params(params)
    steps = 7 + (len(c_grid(settings)) if tune else 0) + (1 if refit_all else 0) + (1 if baseline else 0)
    with tqdm(total=steps, desc="train", unit="step", disable=not progress, leave=True) as bar:
        def step(message: str) -> None:
            """Advance the progress bar with a short status."""
            bar.set_postfix_str(message[:60])
            bar.update(1)

        checked = check_topic_data(read_labelled_csv(data_path, text_column, label_column, time_column),
                                   text_column, label_column, min_rows_per_label, known_labels)
        data = checked.data
        step(f"read {len(data)} rows")
        consistency = label_consistency(data.texts, data.labels, data.rows)
        step(f"label consistency: {consistency.differing_share:.0%} of near-duplicates differ")
        if validate_from is not None:
            if data.times is None:
                raise ValueError("validating from a date needs a time column (--time-column)")
            split = date_split(data.times, validate_from)
        else:
            split = holdout_split(data.labels, data.times)
        train_part, validation_part = data.subset(split.train), data.subset(split.validation)
        step(split.method + " split")
        train_texts = train_part.texts + [t for t, _ in extra_training]
        train_labels = train_part.labels + [label for _, label in extra_training]
        tuning: dict[str, float] = {}
        if tune:
            settings["C"], tuning = tune_c(train_part.texts, train_part.labels, train_part.times, settings, step=step)
        weights = recency_weights(train_part.times, settings["recency_half_life_days"], len(extra_training))
        pipeline = fit_pipeline(settings, train_texts, train_labels, weights)
        step("fitted on the training part")
        threshold = review_threshold if review_threshold is not None else calibrated_review_threshold(pipeline)
        created = datetime.now(UTC)
        version = f"{name}-{created:%Y%m%d%H%M}-{data.sha256[:8]}"
        model = TrainedTopicModel(pipeline, version, label_names)
        report = validate_model(model, validation_part.texts, validation_part.labels, threshold)
        step(f"validated: macro-F1 {report.macro_f1:.3f}")
        baseline_report = None
        if baseline:
            baseline_report = evaluate_predictions(validation_part.labels, char_baseline_predictions(
                train_part.texts, train_part.labels, validation_part.texts), labels=model.codes)
            step(f"baseline: macro-F1 {baseline_report.macro_f1:.3f}")
        if refit_all:
            all_texts = data.texts + train_texts[len(train_part):]
            all_labels = data.labels + train_labels[len(train_part):]
            pipeline = fit_pipeline(settings, all_texts, all_labels, recency_weights(
                data.times, settings["recency_half_life_days"], len(extra_training)))
            if review_threshold is None:
                threshold = calibrated_review_threshold(pipeline, threshold)
            step("refitted on all rows")
        seconds = time.perf_counter() - began
        metadata = _metadata(data, split.method, split.description, settings, tuning, report, version, created,
                             refit_all, seconds, name, label_names, len(extra_training), threshold,
                             (text_column, label_column, time_column), Path(data_path),
                             [str(c) for c in pipeline.classes_])
        metadata["review_threshold_method"] = ("fixed" if review_threshold is not None else
                                               f"calibrated: lowest confidence at which out-of-fold predictions "
                                               f"above it are right >= {REVIEW_TARGET_ACCURACY:.0%}")
        metadata["data"]["warnings"] = checked.warnings
        metadata["data"]["label_consistency"] = consistency.to_dict()
        if baseline_report is not None:
            metadata["baseline"] = {"name": BASELINE_NAME, "macro_f1": baseline_report.macro_f1,
                                    "accuracy": baseline_report.accuracy}
        out = Path(out)
        save_model_dir(out, pipeline, metadata)
        title = f"Validation report: {name} on {Path(data_path).name} ({split.description})"
        report_text = _report_text(report, title, baseline_report, checked.warnings, consistency)
        (out / REPORT_FILE).write_text(report_text + "\n", encoding="utf-8")
        save_confusion_png(report, out / CONFUSION_PNG, title=f"{name}: validation")
        step(f"saved {out}")
    return TrainResult(out, report, report_text, metadata, seconds, checked.warnings, baseline_report, consistency)


def recency_weights(times: Sequence[datetime] | None, half_life_days: float | None,
                    extra_rows: int = 0) -> np.ndarray | None:
    """Per-row training weights halving every `half_life_days` back from the newest row (None: equal weights);
    `extra_rows` appended rows without a time get weight 1."""
    if not half_life_days or not times:
        return None
    newest = max(times)
    ages = np.array([(newest - moment).total_seconds() / 86400.0 for moment in times])
    return np.concatenate([0.5 ** (ages / float(half_life_days)), np.ones(extra_rows)])


def fit_pipeline(settings: dict[str, Any], texts: list[str], labels: list[str],
                 weights: np.ndarray | None = None) -> Any:
    """Build and fit the topic pipeline, with per-row weights when given."""
    pipeline = build_pipeline(settings, labels)
    if weights is None:
        return pipeline.fit(texts, labels)
    return pipeline.fit(texts, labels, classifier__sample_weight=weights)


def calibrated_review_threshold(pipeline: Any, fallback: float = DEFAULT_REVIEW_THRESHOLD) -> float:
    """The needs_review threshold from the classifier's out-of-fold confidences (the fallback when it has none)."""
    classifier = pipeline.steps[-1][1] if hasattr(pipeline, "steps") else pipeline
    confidence = getattr(classifier, "oof_confidence_", None)
    if confidence is None or not len(confidence):
        return fallback
    return review_threshold_for(confidence, classifier.oof_correct_, fallback=fallback)


def _report_text(report: EvaluationReport, title: str, baseline: EvaluationReport | None,
                 warnings: list[str], consistency: LabelConsistency | None = None) -> str:
    """The validation report, the baseline's figures on the same split, label consistency and the data warnings."""
    text = report.to_text(title)
    if baseline is not None:
        text += (f"\nbaseline on the same split, {BASELINE_NAME}: macro-F1 {baseline.macro_f1:.3f}, "
                 f"accuracy {baseline.accuracy:.3f} (this model: {report.macro_f1:.3f}, {report.accuracy:.3f})")
    if consistency is not None:
        text += "\n\n" + consistency.to_text()
    if warnings:
        text += "\n\nData warnings (rows left out of training):\n  - " + "\n  - ".join(warnings)
    return text


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
        "split": {"method": method, "description": description,
                  "validation_share": round(report.n / max(1, len(data)), 4)},
        "params": settings,
        "tuning": {"metric": "inner hold-out macro-F1", "scores_by_C": tuning} if tuning else {},
        "refit_on_all_rows": refit_all,
        "review_threshold": review_threshold,
        "metrics": report.to_dict(),
        "training_seconds": round(seconds, 2),
    }
