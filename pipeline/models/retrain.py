"""Retrain the municipality's models on advisers' corrections: hold back the newest corrections, train a candidate
with the project's training functions, compare it with the current model on the held-back corrections, record a
version in the registry and promote it only when it is better. Also measures the learning curve.

The caller passes plain rows (text, label, what the pipeline said, when corrected); this module knows no store.
"""
from __future__ import annotations

import csv
import logging
import tempfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pipeline.models.model_dir import load_topic_model
from pipeline.models.registry import KINDS, ModelRegistry, ModelVersion
from pipeline.models.report import evaluate_predictions
from pipeline.models.sentiment_model import SENTIMENT_LABELS, load_sentiment_model
from pipeline.models.sentiment_training import train_sentiment_model, validate_sentiment
from pipeline.models.splitting import holdout_split
from pipeline.models.training import train_topic_model, validate_model

log = logging.getLogger(__name__)

CURVE_POINTS: tuple[int, ...] = (100, 300, 1000)
MIN_CORRECTIONS = 20
HELD_BACK_SHARE = 0.2


@dataclass(frozen=True, slots=True)
class Example:
    """One corrected message: redacted text, the corrected label, the pipeline's own label, when corrected."""

    text: str
    label: str
    was: str | None
    at: float


def examples_by_task(rows: Iterable[Any]) -> dict[str, list[Example]]:
    """Training examples per task (topic, sentiment) from correction rows (anything with text, topic, sentiment,
    was_topic, was_sentiment and at)."""
    rows = list(rows)
    return {"topic": [Example(r.text, r.topic, r.was_topic, r.at) for r in rows if r.topic],
            "sentiment": [Example(r.text, r.sentiment, r.was_sentiment, r.at) for r in rows if r.sentiment]}


@dataclass(frozen=True, slots=True)
class OwnData:
    """The municipality's own labelled file for a task, with its column names."""

    path: Path
    text_column: str = "text"
    label_column: str = "label"
    time_column: str | None = None


@dataclass(slots=True)
class TaskOutcome:
    """What retraining one task gave: scores on the held-back corrections, the curve, or why it was skipped."""

    kind: str
    corrections: int
    train_rows: int = 0
    held_rows: int = 0
    candidate_f1: float | None = None
    current_f1: float | None = None
    current_source: str = ""
    better: bool = False
    curve: list[tuple[int, float]] = field(default_factory=list)
    skipped: str | None = None
    candidate_dir: Path | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (for version.json)."""
        return {"corrections": self.corrections, "train_rows": self.train_rows, "held_rows": self.held_rows,
                "candidate_macro_f1": self.candidate_f1, "current_macro_f1": self.current_f1,
                "current": self.current_source, "better": self.better,
                "learning_curve": [{"corrections": n, "macro_f1": f} for n, f in self.curve],
                "skipped": self.skipped}


@dataclass(slots=True)
class RetrainResult:
    """The recorded version, whether it was promoted, and each task's outcome."""

    version: ModelVersion
    promoted: bool
    tasks: dict[str, TaskOutcome]


Trainer = Callable[[Sequence[Example], Path, "OwnData | None"], Path]
Scorer = Callable[[Path, Sequence[Example]], float]


def _write_rows(path: Path, rows: Sequence[Example]) -> Path:
    """A CSV (text, label, corrected) the training functions read."""
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["text", "label", "corrected"])
        for row in rows:
            writer.writerow([row.text, row.label, datetime.fromtimestamp(row.at, UTC).isoformat()])
    return path


def train_topic(rows: Sequence[Example], out: Path, own: OwnData | None) -> Path:
    """A topic model trained with `train_topic_model` on the corrections (joined to the own file when given)."""
    with tempfile.TemporaryDirectory(prefix="stadssignaal-retrain-") as scratch:
        if own is not None:
            train_topic_model(own.path, out, own.text_column, own.label_column, own.time_column, refit_all=True,
                              progress=False, name="topic-corrections", baseline=False,
                              extra_training=[(r.text, r.label) for r in rows])
        else:
            data = _write_rows(Path(scratch) / "corrections.csv", rows)
            train_topic_model(data, out, "text", "label", "corrected", refit_all=True, progress=False,
                              name="topic-corrections", baseline=False)
    return out


def train_sentiment(rows: Sequence[Example], out: Path, own: OwnData | None) -> Path:
    """A sentiment model trained with `train_sentiment_model` on the corrections (after the own file's rows)."""
    from pipeline.models.sentiment_data import read_sentiment_training_file

    combined = list(rows)
    if own is not None:
        data = read_sentiment_training_file(own.path, own.text_column, own.label_column, None, min_rows_per_label=1)
        combined = [Example(t, label, None, 0.0) for t, label in zip(data.texts, data.labels)] + combined
    with tempfile.TemporaryDirectory(prefix="stadssignaal-retrain-") as scratch:
        path = _write_rows(Path(scratch) / "corrections.csv", combined)
        train_sentiment_model(path, out, "text", "label", None if own is not None else "corrected", refit_all=True,
                              progress=False, name="sentiment-corrections", min_rows_per_label=3)
    return out


def score_topic(directory: Path, held: Sequence[Example]) -> float:
    """Macro-F1 of the topic model in `directory` on held-back corrections."""
    model = load_topic_model(directory)
    return validate_model(model, [r.text for r in held], [r.label for r in held]).macro_f1


def score_sentiment(directory: Path, held: Sequence[Example]) -> float:
    """Macro-F1 of the sentiment model in `directory` on held-back corrections."""
    model = load_sentiment_model(directory)
    return validate_sentiment(model, [r.text for r in held], [r.label for r in held]).macro_f1


def stored_labels_f1(held: Sequence[Example]) -> float:
    """Macro-F1 of the labels the pipeline gave these messages (the baseline before any version was promoted)."""
    return evaluate_predictions([r.label for r in held], [r.was or "" for r in held]).macro_f1


TRAINERS: dict[str, tuple[Trainer, Scorer]] = {"topic": (train_topic, score_topic),
                                                "sentiment": (train_sentiment, score_sentiment)}


def _why_not(kind: str, rows: Sequence[Example], own: OwnData | None) -> str | None:
    """Why `rows` cannot train the task, or None."""
    if len(rows) < MIN_CORRECTIONS and own is None:
        return f"{len(rows)} corrections, at least {MIN_CORRECTIONS} are needed"
    if len({r.label for r in rows}) < 2 and own is None:
        return "the corrections hold a single label; at least two are needed"
    if kind == "sentiment" and any(r.label not in SENTIMENT_LABELS for r in rows):
        return "sentiment corrections must be negative, neutral or positive"
    return None


def retrain_task(kind: str, rows: Sequence[Example], version_dir: Path, current: ModelVersion | None,
                 own: OwnData | None = None, curve_points: Sequence[int] = CURVE_POINTS,
                 min_gain: float = 0.0) -> TaskOutcome:
    """Hold back the newest corrections, train a candidate on the rest, score it and the current model."""
    train, score = TRAINERS[kind]
    rows = sorted(rows, key=lambda r: r.at)
    outcome = TaskOutcome(kind, len(rows))
    outcome.skipped = _why_not(kind, rows, own)
    if outcome.skipped or len(rows) < 5:
        outcome.skipped = outcome.skipped or f"{len(rows)} corrections, at least 5 are needed"
        return outcome
    split = holdout_split([r.label for r in rows], [datetime.fromtimestamp(r.at, UTC) for r in rows],
                          HELD_BACK_SHARE)
    learn, held = [rows[i] for i in split.train], [rows[i] for i in split.validation]
    outcome.train_rows, outcome.held_rows = len(learn), len(held)
    try:
        outcome.candidate_dir = train(learn, version_dir / kind, own)
        outcome.candidate_f1 = score(outcome.candidate_dir, held)
    except ValueError as err:   # too few rows of a label, a bad own file: say so, keep the current model
        outcome.skipped = f"training failed: {err}"
        return outcome
    current_dir = current.models.get(kind) if current is not None else None
    if current_dir is not None:
        outcome.current_f1, outcome.current_source = score(current_dir, held), f"version {current.name}"  # type: ignore[union-attr]
    else:
        outcome.current_f1, outcome.current_source = stored_labels_f1(held), "labels the pipeline stored"
    outcome.better = outcome.candidate_f1 > outcome.current_f1 + min_gain
    with tempfile.TemporaryDirectory(prefix="stadssignaal-curve-") as scratch:
        for n in curve_points:
            if n >= len(learn):
                break
            try:
                outcome.curve.append((n, score(train(learn[:n], Path(scratch) / f"{kind}-{n}", own), held)))
            except ValueError as err:
                log.warning("learning curve: %d %s corrections cannot train a model (%s)", n, kind, err)
    outcome.curve.append((len(learn), outcome.candidate_f1))
    return outcome


def retrain(registry: ModelRegistry, examples: Mapping[str, Sequence[Example]], own: Mapping[str, OwnData] | None = None,
            promote: bool = True, min_gain: float = 0.0,
            curve_points: Sequence[int] = CURVE_POINTS) -> RetrainResult:
    """Train candidates for every task with corrections, record a version and promote it when a part is better.

    The version runs each better candidate and keeps the current version's model for the other parts.
    """
    own = own or {}
    current = registry.current()
    name, version_dir = registry.new_version()
    tasks = {kind: retrain_task(kind, examples.get(kind, ()), version_dir, current, own.get(kind), curve_points,
                                min_gain) for kind in KINDS}
    models: dict[str, Path | None] = {}
    for kind, outcome in tasks.items():
        carried = current.models.get(kind) if current is not None else None
        models[kind] = outcome.candidate_dir if outcome.better else carried
    better = any(t.better for t in tasks.values())
    info = {"kind": "retrain", "based_on": current.name if current else None, "better": better,
            "tasks": {kind: t.to_dict() for kind, t in tasks.items()},
            "candidates": {kind: (str(t.candidate_dir.relative_to(registry.root)) if t.candidate_dir else None)
                           for kind, t in tasks.items()}}
    version = registry.record(name, models, info)
    promoted = False
    if better and promote:
        registry.promote(name, reason="retrain: better on held-back corrections")
        promoted = True
    return RetrainResult(version, promoted, tasks)


def report_text(result: RetrainResult) -> str:
    """The retrain report: each task's scores on the held-back corrections, the learning curve, the decision."""
    lines = [f"Model version {result.version.name}"]
    for kind, t in result.tasks.items():
        lines.append("")
        lines.append(f"{kind}: {t.corrections} corrected messages")
        if t.skipped:
            lines.append(f"  not trained: {t.skipped}")
            continue
        lines.append(f"  trained on {t.train_rows}, held back the newest {t.held_rows}")
        lines.append(f"  macro-F1 on held-back corrections: candidate {t.candidate_f1:.3f}, "
                     f"current {t.current_f1:.3f} ({t.current_source})")
        lines.append("  learning curve (corrections used -> macro-F1 on the held-back corrections):")
        lines += [f"    {n:>6}  {f:.3f}" for n, f in t.curve]
        lines.append(f"  {'better: the candidate replaces it' if t.better else 'not better: the current model stays'}")
    lines.append("")
    if result.promoted:
        lines.append(f"Promoted {result.version.name}: runners with this registry switch at their next check.")
    elif any(t.better for t in result.tasks.values()):
        lines.append(f"Not promoted (asked not to); promote with `stadssignaal models promote {result.version.name}`.")
    else:
        lines.append(f"Not promoted: no candidate beat the current model; {result.version.name} is kept for the record.")
    return "\n".join(lines)
