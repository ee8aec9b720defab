"""The daily digest as one HTML page: the last 24 hours per topic and per dossier, figures from dossier_queries."""
from __future__ import annotations

import html
import time
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from pipeline.apps.advisers import queries as dq
from pipeline.apps.dashboard.labels import CHANNEL_LABELS, TOPIC_LABELS
from pipeline.apps.dashboard.queries import Connection

TZ = ZoneInfo("Europe/Amsterdam")


def local_time(ts: float) -> str:
    """Unix seconds as 'dd-mm-yyyy HH:MM' in Dutch time."""
    return datetime.fromtimestamp(ts, TZ).strftime("%d-%m-%Y %H:%M")


def percent(share: float | None) -> str:
    """A share 0..1 as '12%', '–' when unknown."""
    return "–" if share is None else f"{round(share * 100)}%"  # whole percents need no separators


def number(n: float, digits: int = 0) -> str:
    """A number the Dutch way: 65.489 and 3,9."""
    text = f"{n:,.{digits}f}"
    return text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")


def change_text(change: float | None, before: int, covered: bool = True) -> str:
    """'+25%' / '-10%' against the day before, 'nieuw' when there was nothing, '–' when the store does not
    reach back to the day before."""
    if not covered:
        return "–"
    if change is None:
        return "nieuw" if before == 0 else "–"
    whole = round(change * 100)
    return f"{'+' if whole > 0 else ''}{number(whole)}%"  # never "-0%"


def topic_name(code: str) -> str:
    """Dutch label of a topic code."""
    return TOPIC_LABELS.get(code, code or "Onbekend")


def digest_data(conn: Connection, end: float | None = None, hours: int = 24) -> dict[str, Any]:
    """The digest figures for the `hours` before `end` (default: now)."""
    return dq.digest_figures(conn, time.time() if end is None else end, hours)


_CSS = """
body{font-family:system-ui,Arial,sans-serif;color:#1b2533;margin:24px auto;max-width:860px;font-size:14px}
h1{font-size:22px;margin:0}h2{font-size:16px;margin:22px 0 8px;color:#12355b}
.sub{color:#5d6b7e;margin:4px 0 16px}.kpis{display:flex;gap:14px;flex-wrap:wrap}
.kpi{border:1px solid #e1e6ee;border-radius:8px;padding:10px 14px;min-width:150px}
.kpi b{display:block;font-size:22px}table{border-collapse:collapse;width:100%}
th,td{text-align:left;padding:5px 8px;border-bottom:1px solid #e1e6ee}th{color:#5d6b7e;font-weight:600}
td.n{text-align:right;font-variant-numeric:tabular-nums}.neg{color:#b91c1c}.up{color:#b45309}.muted{color:#5d6b7e}
"""


def digest_html(data: dict[str, Any], municipality: str) -> str:
    """One self-contained HTML page (inline CSS only, no script); every value from the store is escaped."""
    esc = html.escape
    channels = ", ".join(f"{esc(CHANNEL_LABELS.get(k, k))} {number(n)}" for k, n in data["channels"].items()) or "–"
    covered = data.get("before_covered", True)
    topic_rows = "".join(
        f"<tr><td>{esc(topic_name(t['topic']))}</td><td class='n'>{number(t['count'])}</td><td class='n'>{number(t['before'])}</td>"
        f"<td class='n{' up' if (t['change'] or 0) > 0.25 else ''}'>{esc(change_text(t['change'], t['before'], covered))}</td>"
        f"<td class='n{' neg' if t['negative'] else ''}'>{number(t['negative'])}</td><td class='n'>{esc(percent(t['negative_share']))}</td></tr>"
        for t in data["topics"]) or "<tr><td colspan='6' class='muted'>Geen signalen in deze periode</td></tr>"
    dossier_rows = "".join(
        f"<tr><td>{esc(d['name'])}</td><td class='n'>{number(d['count'])}</td><td class='n'>{number(d['before'])}</td>"
        f"<td class='n'>{esc(change_text(d['change'], d['before'], covered))}</td><td class='n'>{esc(percent(d['negative_share']))}</td>"
        f"<td>{esc(', '.join(d['terms']))}</td></tr>"
        for d in data["dossiers"]) or "<tr><td colspan='6' class='muted'>Nog geen dossiers</td></tr>"
    return f"""<!doctype html><html lang="nl"><head><meta charset="utf-8">
<title>Dagoverzicht Stadssignaal · Gemeente {esc(municipality)}</title><style>{_CSS}</style></head><body>
<h1>Dagoverzicht · Gemeente {esc(municipality)}</h1>
<p class="sub">{esc(local_time(data['start']))} – {esc(local_time(data['end']))} (afgelopen {data['hours']} uur, Nederlandse tijd)</p>
<div class="kpis"><div class="kpi">Signalen<b id="digest-total">{number(data['total'])}</b></div>
<div class="kpi">Negatief<b class="neg" id="digest-negative">{esc(percent(data['negative_share']))}</b>
{number(data['sentiments']['negative'])} berichten</div><div class="kpi">Per kanaal<br><span>{channels}</span></div></div>
<h2>Per onderwerp</h2><table id="digest-topics"><thead><tr><th>Onderwerp</th><th class="n">Signalen</th>
<th class="n">Dag ervoor</th><th class="n">Verschil</th><th class="n">Negatief</th><th class="n">Aandeel neg.</th></tr>
</thead><tbody>{topic_rows}</tbody></table>
<h2>Per dossier</h2><table id="digest-dossiers"><thead><tr><th>Dossier</th><th class="n">Signalen</th>
<th class="n">Dag ervoor</th><th class="n">Verschil</th><th class="n">Aandeel neg.</th><th>Meest genoemd</th></tr>
</thead><tbody>{dossier_rows}</tbody></table>
<p class="muted">Stadssignaal · persoonsgegevens zijn verwijderd vóór opslag · tijden in Nederlandse tijd</p>
</body></html>"""


def render_html(conn: Connection, municipality: str, end: float | None = None, hours: int = 24) -> str:
    """The digest page for the `hours` before `end` (default: now)."""
    return digest_html(digest_data(conn, end, hours), municipality)
