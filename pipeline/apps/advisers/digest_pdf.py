"""The daily digest as a one-page PDF (fpdf2, a pure-Python library; optional dependency)."""
from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from pipeline.apps.advisers.digest import change_text, local_time, percent, topic_name
from pipeline.apps.dashboard.labels import CHANNEL_LABELS

log = logging.getLogger(__name__)

_REPLACEMENTS = {"–": "-", "—": "-", "‘": "'", "’": "'", "“": '"', "”": '"', "…": "...", "×": "x"}


class PdfUnavailable(RuntimeError):
    """fpdf2 is not installed, so no PDF can be made."""


def latin1(text: str) -> str:
    """Text the PDF core fonts can show: common typography mapped to ASCII, other characters as '?'."""
    for old, new in _REPLACEMENTS.items():
        text = text.replace(old, new)
    return text.encode("latin-1", "replace").decode("latin-1")


def _table(pdf: Any, header: list[str], rows: list[list[str]], widths: list[float]) -> None:
    """A simple ruled table; numbers right-aligned (columns after the first, except free-text last columns)."""
    pdf.set_font("Helvetica", "B", 9)
    pdf.set_text_color(93, 107, 126)
    for text, width in zip(header, widths):
        pdf.cell(width, 6, latin1(text), border="B")
    pdf.ln()
    pdf.set_font("Helvetica", "", 9)
    pdf.set_text_color(27, 37, 51)
    for row in rows:
        for index, (text, width) in enumerate(zip(row, widths)):
            align = "L" if index == 0 or (index == len(row) - 1 and not text[:1].isdigit() and text[:1] not in "+-–") else "R"
            pdf.cell(width, 5.5, latin1(text)[:60], border="B", align=align)
        pdf.ln()


def write_pdf(data: dict[str, Any], municipality: str, path: Path) -> Path:
    """Write the digest figures as a one-page A4 PDF at `path`; PdfUnavailable without fpdf2."""
    try:
        from fpdf import FPDF
    except ImportError as err:
        raise PdfUnavailable("PDF output needs the fpdf2 package (pip install fpdf2)") from err
    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(False)
    pdf.set_margins(16, 14)
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 16)
    pdf.set_text_color(18, 53, 91)
    pdf.cell(0, 9, latin1(f"Dagoverzicht - Gemeente {municipality}"), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 10)
    pdf.set_text_color(93, 107, 126)
    period = f"{local_time(data['start'])} - {local_time(data['end'])} (afgelopen {data['hours']} uur)"
    pdf.cell(0, 6, latin1(period), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    pdf.set_text_color(27, 37, 51)
    pdf.set_font("Helvetica", "B", 11)
    channels = ", ".join(f"{CHANNEL_LABELS.get(k, k)} {n}" for k, n in data["channels"].items()) or "-"
    pdf.cell(0, 6, latin1(f"Signalen: {data['total']}    Negatief: {percent(data['negative_share'])} "
                          f"({data['sentiments']['negative']})"), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 9)
    pdf.multi_cell(0, 5, latin1(f"Per kanaal: {channels}"), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    pdf.set_font("Helvetica", "B", 12)
    pdf.set_text_color(18, 53, 91)
    pdf.cell(0, 7, "Per onderwerp", new_x="LMARGIN", new_y="NEXT")
    topics = [[topic_name(t["topic"]), str(t["count"]), str(t["before"]), change_text(t["change"], t["before"]),
               str(t["negative"]), percent(t["negative_share"])] for t in data["topics"][:14]]
    _table(pdf, ["Onderwerp", "Signalen", "Dag ervoor", "Verschil", "Negatief", "Aandeel neg."],
           topics or [["Geen signalen", "", "", "", "", ""]], [62, 22, 24, 22, 22, 26])
    pdf.ln(4)
    pdf.set_font("Helvetica", "B", 12)
    pdf.set_text_color(18, 53, 91)
    pdf.cell(0, 7, "Per dossier", new_x="LMARGIN", new_y="NEXT")
    dossiers = [[d["name"], str(d["count"]), str(d["before"]), change_text(d["change"], d["before"]),
                 percent(d["negative_share"]), ", ".join(d["terms"][:4])] for d in data["dossiers"][:12]]
    _table(pdf, ["Dossier", "Signalen", "Dag ervoor", "Verschil", "Aandeel neg.", "Meest genoemd"],
           dossiers or [["Nog geen dossiers", "", "", "", "", ""]], [50, 18, 20, 18, 22, 50])
    pdf.set_y(-18)
    pdf.set_font("Helvetica", "", 8)
    pdf.set_text_color(93, 107, 126)
    pdf.cell(0, 5, latin1("Stadssignaal - persoonsgegevens zijn verwijderd vóór opslag - tijden in Nederlandse tijd"))
    path.parent.mkdir(parents=True, exist_ok=True)
    pdf.output(str(path))
    return path
