"""Click commands of the models: train, evaluate, evaluate-sentiment and the models benchmark."""
from __future__ import annotations

import logging
from datetime import datetime
from pathlib import Path
from typing import Any

import click

from pipeline.models.labelled_data import LabelledDataError
from pipeline.models.model_dir import ModelDirError

log = logging.getLogger(__name__)

_FILE = click.Path(exists=True, dir_okay=False, path_type=Path)
_DIR = click.Path(exists=True, file_okay=False, path_type=Path)


def _review_threshold(ctx: click.Context) -> float:
    """settings.review_threshold from the root command's settings, else the default 0.4."""
    root = ctx.find_root().obj
    settings: Any = root.get("settings") if isinstance(root, dict) else None
    return float(getattr(settings, "review_threshold", 0.4))


@click.command("train")
@click.option("--task", type=click.Choice(["topic", "sentiment"]), default="topic", show_default=True,
              help="What to learn: your own topic categories, or negative/neutral/positive sentiment.")
@click.option("--data", "data_path", type=_FILE, required=True, help="Labelled CSV (or TSV) file.")
@click.option("--text-column", default="text", show_default=True, help="Column with the text.")
@click.option("--label-column", default="label", show_default=True,
              help="Column with the label (topic: your own categories; sentiment: negative/neutral/positive).")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="Model directory to write (model.joblib, metadata.json, report.txt, confusion.png).")
@click.option("--time-column", default=None,
              help="Date/time column: validate on the newest 20 % instead of a stratified random 20 %.")
@click.option("--validate-from", type=click.DateTime(["%Y-%m-%d"]), default=None,
              help="Topic, with --time-column: validate on the rows from this date (YYYY-MM-DD) on, train on the "
                   "rows before it.")
@click.option("--name", default=None, help="Name used in the model version (default: the task).")
@click.option("--tune/--no-tune", default=True, show_default=True,
              help="Topic: pick C on an inner hold-out of the training part.")
@click.option("--refit-all/--no-refit-all", default=True, show_default=True,
              help="After validation, refit the saved model on every row, the newest included "
                   "(--no-refit-all saves the model that was validated).")
@click.option("--labels", "known_labels", default=None,
              help="Topic: comma-separated list of valid labels; rows with another label are left out and named.")
@click.option("--min-rows-per-label", type=click.IntRange(2, None), default=5, show_default=True,
              help="Topic: labels with fewer rows are left out (the rows are named).")
@click.option("--review-threshold", type=click.FloatRange(0.0, 1.0), default=None,
              help="Topic: fixed needs_review threshold (default: calibrated on the training part).")
@click.option("--baseline/--no-baseline", default=True, show_default=True,
              help="Topic: also report character TF-IDF + logistic regression on the same split.")
@click.option("--quiet", is_flag=True, help="No progress bar.")
@click.pass_context
def train(ctx: click.Context, task: str, data_path: Path, text_column: str, label_column: str, out_dir: Path,
          time_column: str | None, validate_from: datetime | None, name: str | None, tune: bool, refit_all: bool,
          known_labels: str | None, min_rows_per_label: int, review_threshold: float | None, baseline: bool, quiet: bool) -> None:
    """Train a topic or sentiment model on any labelled CSV and print its validation report.

    Use the result with `stadssignaal enrich --topic-model OUT` (its labels become `topic.code`) or
    `--sentiment-model OUT`.
    """
    try:
        if task == "sentiment":
            from pipeline.models.sentiment_training import train_sentiment_model

            result = train_sentiment_model(data_path, out_dir, text_column, label_column, time_column,
                                           refit_all=refit_all, progress=not quiet, name=name or "sentiment",
                                           review_threshold=_review_threshold(ctx))
        else:
            from pipeline.models.training import train_topic_model

            labels = [x.strip() for x in known_labels.split(",") if x.strip()] if known_labels else None
            result = train_topic_model(data_path, out_dir, text_column, label_column, time_column, tune=tune,
                                       refit_all=refit_all, progress=not quiet, name=name or "topic",
                                       review_threshold=review_threshold, baseline=baseline, known_labels=labels,
                                       min_rows_per_label=min_rows_per_label, validate_from=validate_from)
            for warning in result.warnings:
                click.echo(f"warning: {warning}", err=True)
    except (LabelledDataError, ValueError) as err:
        raise click.ClickException(str(err)) from None
    click.echo(result.report_text)
    fitted = ("refitted on every row after validation" if result.metadata.get("refit_on_all_rows")
              else "the model that was validated")
    click.echo(f"\nsaved {result.directory} ({fitted}; version {result.metadata['version']}, "
               f"{result.seconds:.1f} s); confusion matrix: {result.directory / 'confusion.png'}")


@click.command("evaluate")
@click.option("--model", "model_dir", type=_DIR, default=None,
              help="Model directory from `train` (default: the bundled starter model).")
@click.option("--data", "data_path", type=_FILE, required=True, help="Labelled CSV (or TSV) file.")
@click.option("--text-column", default="text", show_default=True, help="Column with the text.")
@click.option("--label-column", default="label", show_default=True, help="Column with the true label.")
@click.option("--png", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Also write the confusion matrix as a PNG here.")
@click.pass_context
def evaluate(ctx: click.Context, model_dir: Path | None, data_path: Path, text_column: str, label_column: str,
             png: Path | None) -> None:
    """Print the report (macro-F1, per-class scores, confusion matrix, reliability) of a model on a labelled file."""
    from pipeline.models.labelled_data import read_labelled_csv
    from pipeline.models.model_dir import load_topic_model
    from pipeline.models.report_plot import save_confusion_png
    from pipeline.models.starter import starter_topic_dir
    from pipeline.models.training import validate_model

    try:
        model = load_topic_model(model_dir or starter_topic_dir())
        data = read_labelled_csv(data_path, text_column, label_column)
    except (ModelDirError, LabelledDataError) as err:
        raise click.ClickException(str(err)) from None
    unknown = sorted(set(data.labels) - set(model.codes))
    if unknown:
        click.echo(f"note: {len(unknown)} label(s) in the file are unknown to the model and count as errors: "
                   + ", ".join(unknown[:10]), err=True)
    threshold = model.review_threshold if model.review_threshold is not None else _review_threshold(ctx)
    report = validate_model(model, data.texts, data.labels, threshold)
    click.echo(report.to_text(f"Report: {model.version} on {data_path.name}"))
    if png is not None and save_confusion_png(report, png, title=f"{model.version} on {data_path.name}"):
        click.echo(f"confusion matrix: {png}")


@click.command("evaluate-sentiment")
@click.option("--data", "data_path", type=_FILE, required=True,
              help="CSV with texts labelled negative/neutral/positive.")
@click.option("--text-column", default="text", show_default=True, help="Column with the text.")
@click.option("--label-column", default="label", show_default=True,
              help="Column with the label (negative/neutral/positive; neg/neu/pos and -1/0/1 are understood).")
@click.option("--model", "model_dir", type=_DIR, default=None,
              help="Sentiment model directory (default: the bundled supervised model).")
@click.option("--cv", type=click.IntRange(2, 20), default=None,
              help="Instead: K-fold cross-validation of the supervised model trained on this file.")
@click.option("--with-corpus", is_flag=True, help="With --cv: add the team-written sentiment corpus to every fold.")
def evaluate_sentiment(data_path: Path, text_column: str, label_column: str, model_dir: Path | None,
                       cv: int | None, with_corpus: bool) -> None:
    """Print macro-F1 and the per-class report of the supervised sentiment model (and of the lexicon alone)."""
    from pipeline.models.sentiment_eval import evaluate_sentiment_file

    try:
        result = evaluate_sentiment_file(data_path, text_column, label_column, model_dir=model_dir, cv=cv,
                                         with_corpus=with_corpus)
    except (LabelledDataError, ModelDirError, ValueError) as err:
        raise click.ClickException(str(err)) from None
    click.echo(result.to_text(f"Sentiment on {data_path.name}"))


@click.command("models")
@click.option("--data", "--data-dir", "data_dir", type=click.Path(exists=True, file_okay=False, path_type=Path),
              default=None, help="Reference data folder (with katwijk/ and sentiment/); without it only speed runs.")
@click.option("--speed-count", default=10_000, show_default=True, help="Synthetic signals for the speed benchmark.")
def bench_models(data_dir: Path | None, speed_count: int) -> None:
    """Benchmarks of the topic and sentiment models against their targets (skips what data is missing)."""
    from pipeline.bench.models import run_benchmarks

    run_benchmarks(data_dir, speed_count, echo=click.echo)
