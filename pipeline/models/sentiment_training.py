"""Train a sentiment model on a labelled file: split, fit (calibrated), validate, report and save a model directory."""
from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tqdm import tqdm

from pipeline.models.model_dir import CONFUSION_PNG, REPORT_FILE
from pipeline.models.report import EvaluationReport, evaluate_predictions
from pipeline.models.report_plot import save_confusion_png
from pipeline.models.sentiment_data import MIN_ROWS_PER_LABEL, read_sentiment_training_file
from pipeline.models.sentiment_model import (
    DEFAULT_SENTIMENT_PARAMS,
    SENTIMENT_LABELS,
    SupervisedSentiment,
    save_sentiment_model,
    train_sentiment,
)
from pipeline.models.splitting import holdout_split
from pipeline.models.training import DEFAULT_REVIEW_THRESHOLD, TrainResult


def train_sentiment_model(data_path: str | Path, out: str | Path, text_column: str = "text",
                          label_column: str = "label", time_column: str | None = None, refit_all: bool = False,
                          progress: bool = True, name: str = "sentiment",
                          review_threshold: float = DEFAULT_REVIEW_THRESHOLD,
                          min_rows_per_label: int = MIN_ROWS_PER_LABEL) -> TrainResult:
    """Train on `data_path`, validate on a held-out 20 % (the newest with a time column), write `out`.

    The model is the supervised recipe of the starter: word and char n-grams plus the lexicon features,
    logistic regression, a softmax temperature fitted out of fold. With `refit_all` the saved model is
    refitted on every row after validation.
    """
    began = time.perf_counter()
    with tqdm(total=5 + int(refit_all), desc="train", unit="step", disable=not progress, leave=True) as bar:
        def step(message: str) -> None:
            """Advance the progress bar with a short status."""
            bar.set_postfix_str(message[:60])
            bar.update(1)

        data = read_sentiment_training_file(data_path, text_column, label_column, time_column, min_rows_per_label)
        step(f"read {len(data)} rows")
        split = holdout_split(data.labels, data.times)
        train_part, validation_part = data.subset(split.train), data.subset(split.validation)
        step(split.method + " split")
        created = datetime.now(UTC)
        version = f"{name}-{created:%Y%m%d%H%M}-{data.sha256[:8]}"
        model = train_sentiment(train_part.texts, train_part.labels, version=version, calibrate=True)
        step(f"fitted on {len(train_part)} rows (temperature {model.temperature:.1f})")
        report = validate_sentiment(model, validation_part.texts, validation_part.labels, review_threshold)
        step(f"validated: macro-F1 {report.macro_f1:.3f}")
        if refit_all:
            model = train_sentiment(data.texts, data.labels, version=version, calibrate=True)
            step("refitted on all rows")
        seconds = time.perf_counter() - began
        out = Path(out)
        metadata = _metadata(data_path, data.sha256, len(data), split.method, split.description, report.to_dict(),
                             created, refit_all, seconds, name, review_threshold,
                             (text_column, label_column, time_column))
        save_sentiment_model(model, out, metadata)
        title = f"Validation report: {name} on {Path(data_path).name} ({split.description})"
        report_text = report.to_text(title)
        (out / REPORT_FILE).write_text(report_text + "\n", encoding="utf-8")
        save_confusion_png(report, out / CONFUSION_PNG, title=f"{name}: validation")
        step(f"saved {out}")
    return TrainResult(out, report, report_text, {**metadata, "version": version}, seconds)


def validate_sentiment(model: SupervisedSentiment, texts: list[str], labels: list[str],
                       review_threshold: float = DEFAULT_REVIEW_THRESHOLD) -> EvaluationReport:
    """The evaluation report of `model` on labelled texts."""
    proba = model.proba(texts)
    predicted = [model.classes[int(i)] for i in proba.argmax(axis=1)]
    return evaluate_predictions(labels, predicted, proba.max(axis=1).tolist(), labels=list(SENTIMENT_LABELS),
                                review_threshold=review_threshold)


def _metadata(data_path: str | Path, sha256: str, rows: int, method: str, description: str,
              metrics: dict[str, Any], created: datetime, refit_all: bool, seconds: float, name: str,
              review_threshold: float, columns: tuple[str, str, str | None]) -> dict[str, Any]:
    """The metadata.json content (besides format, kind, version, labels and temperature) of a sentiment model."""
    return {
        "name": name,
        "created": created.isoformat(timespec="seconds"),
        "data": {"file": Path(data_path).name, "sha256": sha256, "rows": rows, "text_column": columns[0],
                 "label_column": columns[1], "time_column": columns[2]},
        "split": {"method": method, "description": description, "validation_share": 0.2},
        "params": dict(DEFAULT_SENTIMENT_PARAMS),
        "refit_on_all_rows": refit_all,
        "review_threshold": review_threshold,
        "metrics": metrics,
        "training_seconds": round(seconds, 2),
    }
