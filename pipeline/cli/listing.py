"""What the listing commands share: finding the store (with a hint at the demo's) and printing rows as a table
with headers, JSON or CSV."""
from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any, Sequence

import click

DEMO_STORE = Path("var/demo.db")
FORMATS = ("table", "json", "csv")
FORMAT_OPTION = click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True,
                             help="table: aligned columns with headers; json: a list of objects; csv: a header row "
                                  "and one line per row.")


def existing_store(path: Path) -> Path:
    """`path` when the store file exists, else a click error (exit code 1) naming it and the demo's store."""
    if path.is_file():
        return path
    hint = (f"; the demo writes {DEMO_STORE}: add --store {DEMO_STORE}" if DEMO_STORE.is_file() and path != DEMO_STORE
            else "; pass --store FILE or set the `store` setting")
    raise click.ClickException(f"store not found: {path}{hint}")


def render(rows: Sequence[dict[str, Any]], columns: Sequence[tuple[str, str]], fmt: str) -> str:
    """Rows (dicts) as text: `columns` are (key, header) pairs; JSON keeps the rows whole."""
    if fmt == "json":
        return json.dumps(list(rows), ensure_ascii=False, indent=2)
    cells = [[_text(row.get(key)) for key, _ in columns] for row in rows]
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow([key for key, _ in columns])
        writer.writerows(cells)
        return out.getvalue().rstrip("\n")
    headers = [header for _, header in columns]
    widths = [max(len(h), *(len(c[i]) for c in cells)) if cells else len(h) for i, h in enumerate(headers)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(headers, widths)).rstrip(),
             "  ".join("-" * w for w in widths)]
    lines += ["  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip() for row in cells]
    return "\n".join(lines)


def _text(value: Any) -> str:
    """A cell's text: '' for None, JSON for lists and dicts."""
    if value is None:
        return ""
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)
