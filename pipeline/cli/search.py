"""Click commands for the site-search review: group keys, group lists, marking, weekly summary, log preview, bench."""
from __future__ import annotations

import threading
from datetime import timezone
from pathlib import Path
from typing import Any

import click

from pipeline.apps.webteam.mailer import MailSettings, send_mail
from pipeline.apps.webteam.periods import WINDOWS, parse_end_day
from pipeline.apps.webteam.queries import STATUSES
from pipeline.apps.webteam.review import STATUS_FILTERS, GroupFilter, ReviewService
from pipeline.apps.webteam.summary import build_summary, write_summary
from pipeline.bench.search import bench_search
from pipeline.cli.listing import FORMAT_OPTION, existing_store, render
from pipeline.enrich.query.grouping import default_grouper
from pipeline.sources.access_log import AccessLogSource, SearchLogConfig

DEFAULT_STORE = Path("var/stadssignaal.db")

__all__ = ["bench_search", "search_group_key", "search_groups", "search_mark", "search_summary", "search_log_preview"]


def _store_path(ctx: click.Context, store: Path | None) -> Path:
    """--store when given, else the store of the root command's settings, else var/stadssignaal.db."""
    if store is not None:
        return store
    root = ctx.find_root().obj
    settings = root.get("settings") if isinstance(root, dict) else None
    return Path(getattr(settings, "store", DEFAULT_STORE))


def _end(value: str | None) -> float | None:
    """Parse --end (YYYY-MM-DD, inclusive) or fail with a usage error."""
    try:
        return parse_end_day(value)
    except ValueError as err:
        raise click.BadParameter(str(err), param_hint="--end") from None


STORE_OPTION = click.option("--store", type=click.Path(dir_okay=False, path_type=Path), default=None,
                            help="SQLite store (default: the settings' store, var/stadssignaal.db).")


@click.command("search_group_key")
@click.argument("queries", nargs=-1, required=True)
def search_group_key(queries: tuple[str, ...]) -> None:
    """Show the normalized form, group key, subject and topic of each QUERY (to check how variants group)."""
    grouper = default_grouper()
    for query in queries:
        normalized, key = grouper.analyse(query)
        click.echo(f"{query!r}\tnormalized={normalized!r}\tgroup={key!r}\tsubject={grouper.subject(key)!r}"
                   f"\ttopic={grouper.topic(key) or '-'}")


GROUP_COLUMNS = (("zero_results", "ZERO"), ("searches", "SEARCHES"), ("zero_rate", "RATE"), ("trend", "TREND"),
                 ("status", "STATUS"), ("topic", "TOPIC"), ("subject_name", "SUBJECT"), ("name", "QUERY"),
                 ("group", "GROUP"))


@click.command("search_groups")
@STORE_OPTION
@click.option("--window", type=click.Choice(list(WINDOWS)), default="7d", show_default=True, help="Period length.")
@click.option("--end", default=None, help="Last day of the period, YYYY-MM-DD (default: day of the newest search).")
@click.option("--topic", default=None, help="Only groups with this topic code.")
@click.option("--status", type=click.Choice(list(STATUS_FILTERS)), default="open", show_default=True,
              help="Only groups with this review status.")
@click.option("--limit", default=25, show_default=True, help="How many groups to print.")
@FORMAT_OPTION
@click.pass_context
def search_groups(ctx: click.Context, store: Path | None, window: str, end: str | None, topic: str | None,
                  status: str, limit: int, fmt: str) -> None:
    """List zero-result search groups with counts, trend and review status."""
    service = ReviewService(existing_store(_store_path(ctx, store)))
    result = service.groups(GroupFilter(window=window, end=_end(end), topic=topic, status=status))
    rows = [{**row, "zero_rate": None if row["zero_rate"] is None else round(row["zero_rate"], 4)}
            for row in result["groups"][:limit]]
    if fmt == "table":
        period = result["period"]
        click.echo(f"{period['start']} .. {period['end']}: {len(result['groups'])} group(s)", err=True)
        rows = [{**row, "zero_rate": "-" if row["zero_rate"] is None else f"{row['zero_rate']:.0%}"} for row in rows]
    click.echo(render(rows, GROUP_COLUMNS, fmt))


@click.command("search_mark")
@STORE_OPTION
@click.argument("group")
@click.option("--status", type=click.Choice(list(STATUSES)), required=True, help="The decision.")
@click.option("--note", default="", help="What was done, e.g. the page or synonym added.")
@click.pass_context
def search_mark(ctx: click.Context, store: Path | None, group: str, status: str, note: str) -> None:
    """Mark search group GROUP (its key, see `stadssignaal search groups`) as open, handled or ignored."""
    try:
        stored = ReviewService(existing_store(_store_path(ctx, store))).set_status(group, status, note)
    except LookupError as err:
        raise click.ClickException(str(err).strip("'\"")) from None
    except ValueError as err:
        raise click.UsageError(str(err)) from None
    click.echo(f"{stored['group']}: {stored['status']} at {stored['at']}")


@click.command("search_summary")
@STORE_OPTION
@click.option("--end", default=None, help="Last day of the week, YYYY-MM-DD (default: day of the newest search).")
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Markdown file to write (default: var/search-summary-<last day>.md).")
@click.option("--mail/--no-mail", default=False, show_default=True,
              help="Also e-mail it (settings STADSSIGNAAL_SMTP_HOST, _PORT, _SENDER, _RECIPIENTS, ...).")
@click.pass_context
def search_summary(ctx: click.Context, store: Path | None, end: str | None, output: Path | None, mail: bool) -> None:
    """Write the weekly summary of zero-result searches as Markdown, and optionally e-mail it."""
    service = ReviewService(existing_store(_store_path(ctx, store)))
    text = build_summary(service, _end(end))
    title = text.splitlines()[0].lstrip("# ").strip()
    last_day = title.rsplit(" ", 1)[-1]
    path = write_summary(text, output or Path("var") / f"search-summary-{last_day}.md")
    click.echo(f"summary written to {path}")
    if mail:
        try:
            send_mail(f"Stadssignaal: {title}", text, MailSettings())
        except RuntimeError as err:
            raise click.ClickException(str(err)) from None
        click.echo("summary e-mailed")


def _search_paths(values: tuple[str, ...]) -> dict[str, str]:
    """--path /zoeken=q options as a dict (default /zoeken=q)."""
    paths: dict[str, str] = {}
    for value in values or ("/zoeken=q",):
        path, _, param = value.partition("=")
        if not path.startswith("/") or not param:
            raise click.BadParameter(f"expected /path=param, got {value!r}", param_hint="--path")
        paths[path.rstrip("/") or "/"] = param
    return paths


@click.command("search_log_preview")
@click.argument("log_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--path", "paths", multiple=True, help="Search path and query parameter, e.g. /zoeken=q (repeatable).")
@click.option("--results-param", default=None, help="Query parameter holding the result count, if the site logs it.")
@click.option("--category-param", default=None, help="Query parameter holding the search category.")
@click.option("--limit", default=20, show_default=True, help="How many searches and dead letters to print.")
def search_log_preview(log_file: Path, paths: tuple[str, ...], results_param: str | None,
                       category_param: str | None, limit: int) -> None:
    """Read an access log (common/combined format) and show the searches and bad lines found, without storing."""
    config = SearchLogConfig(search_paths=_search_paths(paths), results_param=results_param,
                             category_param=category_param)
    source = AccessLogSource(log_file, config)
    grouper = default_grouper()
    found: list[Any] = []
    dead: list[Any] = []
    for batch in source.batches(None, threading.Event()):
        found.extend(batch.signals)
        dead.extend(batch.dead)
    click.echo(f"{len(found)} search(es), {len(dead)} bad line(s)")
    for signal in found[:limit]:
        when = signal.created_at.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M")
        click.echo(f"  {when}  {signal.text!r} -> {grouper.analyse(signal.text)[1]!r}  {signal.meta}")
    for letter in dead[:limit]:
        click.echo(f"  bad {letter.position}: {letter.reason}")


@click.group("search")
def search() -> None:
    """Webteam: site-search groups, zero results and their review."""


search.add_command(search_groups, "groups")
search.add_command(search_group_key, "group-key")
search.add_command(search_mark, "mark")
search.add_command(search_summary, "summary")
search.add_command(search_log_preview, "log-preview")
