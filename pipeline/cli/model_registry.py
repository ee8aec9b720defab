"""`stadssignaal models`: retrain on the advisers' corrections, and list, promote or roll back model versions.

The command reads the corrections from the store and hands plain rows to the core (pipeline.models.retrain).
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from pipeline.models.registry import ModelRegistry, RegistryError

DEFAULT_REGISTRY = Path("var/models")
_FILE = click.Path(exists=True, dir_okay=False, path_type=Path)


def registry_option(func: Any) -> Any:
    """--registry DIR (also STADSSIGNAAL_MODEL_REGISTRY)."""
    return click.option("--registry", "registry_dir", type=click.Path(file_okay=False, path_type=Path),
                        envvar="STADSSIGNAAL_MODEL_REGISTRY", default=DEFAULT_REGISTRY, show_default=True,
                        help="Model registry directory (runners follow it with --model-registry).")(func)


@click.group("models")
def models() -> None:
    """The municipality's models: retrain on advisers' corrections, list, promote and roll back versions."""


def read_examples(store_path: Path) -> dict[str, list[Any]]:
    """The corrections of the store as training rows per task (topic, sentiment)."""
    from pipeline.models.retrain import examples_by_task
    from pipeline.sinks.sqlite.corrections import read_training_rows

    if not store_path.is_file():
        raise click.UsageError(f"store not found: {store_path}")
    return examples_by_task(read_training_rows(store_path))


@models.command("retrain")
@registry_option
@click.option("--store", "store_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="SQLite store with the corrections (default: the `store` setting).")
@click.option("--data", "data_path", type=_FILE, default=None,
              help="The municipality's own labelled topic file (CSV/TSV), trained on together with the corrections.")
@click.option("--sentiment-data", type=_FILE, default=None,
              help="Own labelled sentiment file (negative/neutral/positive), trained on with the corrections.")
@click.option("--text-column", default="text", show_default=True, help="Text column of --data/--sentiment-data.")
@click.option("--label-column", default="label", show_default=True, help="Label column of --data/--sentiment-data.")
@click.option("--time-column", default=None, help="Date/time column of --data.")
@click.option("--min-gain", type=float, default=0.0, show_default=True,
              help="Promote only when the macro-F1 on held-back corrections rises by more than this.")
@click.option("--promote/--no-promote", default=True, show_default=True,
              help="Promote the new version when it is better (else only record it).")
@click.pass_context
def retrain(ctx: click.Context, registry_dir: Path, store_path: Path | None, data_path: Path | None,
            sentiment_data: Path | None, text_column: str, label_column: str, time_column: str | None,
            min_gain: float, promote: bool) -> None:
    """Train on the corrections, compare with the current model on held-back corrections, promote when better.

    The newest 20 % of the corrections are held back; the report shows both scores and the learning curve
    (macro-F1 after 100, 300 and 1,000 corrections, as far as the corrections reach).
    """
    from pipeline.models.retrain import OwnData, report_text
    from pipeline.models.retrain import retrain as run_retrain

    root = ctx.find_root().obj
    settings: Any = root.get("settings") if isinstance(root, dict) else None
    store = store_path or Path(getattr(settings, "store", "var/stadssignaal.db"))
    examples = read_examples(store)
    own = {}
    if data_path is not None:
        own["topic"] = OwnData(data_path, text_column, label_column, time_column)
    if sentiment_data is not None:
        own["sentiment"] = OwnData(sentiment_data, text_column, label_column)
    click.echo(f"{len(examples['topic'])} topic and {len(examples['sentiment'])} sentiment corrections in {store}",
               err=True)
    try:
        result = run_retrain(ModelRegistry(registry_dir), examples, own, promote=promote, min_gain=min_gain)
    except (OSError, ValueError) as err:
        raise click.ClickException(str(err)) from err
    text = report_text(result)
    (result.version.path / "report.txt").write_text(text + "\n", encoding="utf-8")
    click.echo(text)


@models.command("list")
@registry_option
def list_versions(registry_dir: Path) -> None:
    """Every version with its scores on held-back corrections (the current model's then in brackets); * marks the
    current one."""
    registry = ModelRegistry(registry_dir)
    versions = registry.versions()
    if not versions:
        click.echo(f"No model versions in {registry_dir} yet: run `stadssignaal models retrain`.")
        return
    current = registry.current_name()
    click.echo(f"  {'version':<8} {'created':<25} {'topic F1 (then)':<16} {'sentiment F1 (then)':<19} models")
    for version in versions:
        tasks = version.info.get("tasks", {})
        cells = []
        for kind in ("topic", "sentiment"):
            task = tasks.get(kind) or {}
            cand, cur = task.get("candidate_macro_f1"), task.get("current_macro_f1")
            cells.append(f"{cand:.3f} ({cur:.3f})" if cand is not None and cur is not None else "-")
        held = ", ".join(f"{kind}={path.relative_to(registry.root) if path else 'start'}"
                         for kind, path in version.models.items())
        mark = "*" if version.name == current else " "
        click.echo(f"{mark} {version.name:<8} {version.created:<25} {cells[0]:<16} {cells[1]:<19} {held}")
    if current is None:
        click.echo("No version is current: runners use the models they were started with.")


@models.command("promote")
@registry_option
@click.argument("version")
def promote_version(registry_dir: Path, version: str) -> None:
    """Make VERSION the current one (runners with --model-registry switch without a restart)."""
    try:
        ModelRegistry(registry_dir).promote(version, reason="promoted by hand")
    except RegistryError as err:
        raise click.ClickException(str(err)) from err
    click.echo(f"{version} is now current")


@models.command("rollback")
@registry_option
def rollback(registry_dir: Path) -> None:
    """Go back to the version that was current before the current one."""
    try:
        previous = ModelRegistry(registry_dir).rollback()
    except RegistryError as err:
        raise click.ClickException(str(err)) from err
    click.echo(f"{previous} is now current" if previous else
               "No version is current now: runners use the models they were started with.")
