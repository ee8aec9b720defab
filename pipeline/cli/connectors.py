"""Click command `status`: per-source last poll, last error, lag and counts from the store file."""
from __future__ import annotations

import json
from pathlib import Path

import click

from pipeline.sources.connectors.status import SourceStatus, iso, read_status


def format_seconds(seconds: float | None) -> str:
    """A duration as '42s', '7m', '3h' or '2d'; '-' when unknown."""
    if seconds is None:
        return "-"
    for size, unit in ((86_400, "d"), (3_600, "h"), (60, "m")):
        if seconds >= size:
            return f"{seconds / size:.0f}{unit}"
    return f"{seconds:.0f}s"


def status_table(rows: list[SourceStatus]) -> str:
    """The rows as a plain-text table, one source per line, the last error on its own indented line."""
    if not rows:
        return "no connector status recorded yet (no connector has run against this store)"
    header = ("source", "state", "last poll", "lag", "polls", "errors", "signals", "dead")
    lines = [header]
    for row in rows:
        lines.append((row.source, row.state, iso(row.last_poll) or "-", format_seconds(row.lag_seconds),
                      str(row.polls), str(row.errors), str(row.signals), str(row.dead)))
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    out = []
    for index, line in enumerate(lines):
        out.append("  ".join(cell.ljust(width) for cell, width in zip(line, widths)).rstrip())
        row = rows[index - 1] if index else None
        if row is not None and row.last_error:
            out.append(f"    last error ({iso(row.last_error_at)}): {row.last_error}")
    return "\n".join(out)


@click.command("status")
@click.option("--store", "store_path", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="The SQLite store file the connectors run against.")
@click.option("--format", "output_format", type=click.Choice(["table", "json"]), default="table",
              show_default=True, help="Plain-text table for people, JSON for scripts and monitoring.")
def status_command(store_path: Path, output_format: str) -> None:
    """Show per connector the last poll, the last error, the lag (time since the last success) and counts."""
    if not store_path.is_file():
        raise click.UsageError(f"store file not found: {store_path}")
    rows = read_status(store_path)
    if output_format == "json":
        click.echo(json.dumps([row.to_dict() for row in rows], ensure_ascii=False, indent=2))
    else:
        click.echo(status_table(rows))
