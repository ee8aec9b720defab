"""The weekly summary of zero-result searches for the webteam, as Markdown, written to a file and optionally mailed."""
from __future__ import annotations

import logging
import re
import time
from pathlib import Path
from typing import Any

from pipeline.apps.webteam import queries
from pipeline.apps.webteam.review import GroupFilter, ReviewService
from pipeline.sinks.sqlite.store import connect

log = logging.getLogger(__name__)

TOP_GROUPS = 10
WEEK = 7 * 86_400
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>|#!{}()~])")


def md(text: Any) -> str:
    """Resident text made inert in Markdown: special characters escaped, line breaks flattened."""
    flat = " ".join(str(text).split())
    return _MARKDOWN_SPECIAL.sub(r"\\\1", flat)


def _percent(rate: float | None) -> str:
    """A rate as a whole percentage, or a dash."""
    return "-" if rate is None else f"{round(rate * 100)}%"


def _table(rows: list[dict[str, Any]]) -> list[str]:
    """Markdown table lines for group rows."""
    lines = ["| zoekterm | zonder resultaat | aandeel | trend | onderwerp | varianten |",
             "|---|---:|---:|---|---|---|"]
    for row in rows:
        variants = ", ".join(md(v["text"]) for v in row["variants"][:3])
        lines.append(f"| {md(row['name'])} | {row['zero_results']} | {_percent(row['zero_rate'])} | "
                     f"{row['trend']} | {row['topic']} | {variants} |")
    return lines


def build_summary(service: ReviewService, end: float | None = None, top: int = TOP_GROUPS,
                  now: float | None = None) -> str:
    """The Markdown summary of the 7 days ending at `end` (default: the day of the newest search)."""
    every = service.groups(GroupFilter(window="7d", end=end, status="all"))
    period = every["period"]
    rows = every["groups"]
    open_rows = [r for r in rows if r["status"] == "open"]
    zero_total = sum(r["zero_results"] for r in rows)
    lines = [f"# Zoektermen zonder resultaat: {period['start'][:10]} tot {period['end'][:10]}", ""]
    lines.append(f"{len(rows)} groepen met {zero_total} zoekopdrachten zonder resultaat; "
                 f"{len(open_rows)} groepen staan open.")
    lines.append("")
    lines += [f"## Open groepen (top {top})", ""]
    lines += _table(open_rows[:top]) if open_rows else ["Geen open groepen."]
    for title, trend in (("Nieuw", "new"), ("Stijgend", "rising")):
        picked = [r for r in open_rows if r["trend"] == trend][:top]
        lines += ["", f"## {title}", ""]
        lines += [f"- {md(r['name'])}: {r['zero_results']} zonder resultaat" for r in picked] or ["Geen."]
    reopened = [r for r in rows if r["reopened"]]
    lines += ["", "## Heropend (na afhandeling opnieuw zonder resultaat)", ""]
    lines += [f"- {md(r['name'])}: {r['zero_since_handled']} keer sinds afhandeling; notitie: {md(r['note']) or '-'}"
              for r in reopened] or ["Geen."]
    clock = time.time() if now is None else now
    lines += ["", "## Afgehandeld in de afgelopen 7 dagen", ""]
    lines += [f"- {md(item['name'])}: {item['status']}; {md(item['note']) or '-'}"
              for item in _decisions(service, clock - WEEK, clock + 1)] or ["Geen."]
    return "\n".join(lines) + "\n"


def _decisions(service: ReviewService, start: float, end: float) -> list[dict[str, Any]]:
    """Review decisions (handled or ignored) taken in [start, end); the last one per group, named by the form
    residents typed most (the key when no search of the group is left)."""
    if not service.store_path.exists():
        return []
    conn = connect(service.store_path)
    try:
        queries.ensure_review_schema(conn)
        last = {item["group"]: item for item in queries.review_log(conn, start, end)}
        decided = [item for item in last.values() if item["status"] != "open"]
        names = queries.typed_names(conn, [item["group"] for item in decided])
    finally:
        conn.close()
    return [{**item, "name": names.get(item["group"], item["group"])} for item in decided]


def write_summary(text: str, path: Path) -> Path:
    """Write the summary (UTF-8), creating the folder; returns the path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    log.info("wrote search summary to %s", path)
    return path
