"""Shared data and helpers for the advisers' side-row tests: a mixed stream, saved dossiers, side-row dumps."""
from __future__ import annotations

from pathlib import Path

from pipeline.apps.dashboard import queries
from pipeline.bench.synthetic_signals import enriched_doc
from pipeline.sinks.sqlite.advisers import Dossier, _backfill, _backfill_all_dossiers, backfill_hours
from pipeline.sinks.sqlite.store import connect

H = 3_600.0
T0 = 1_772_445_600.0  # 2026-03-02 10:00 UTC
ACCOUNT = "@GemeenteZeist"


def mixed_stream() -> list[dict]:
    """Signals covering every flag rule and keyword shape, including odd meta values."""
    return [
        enriched_doc("twitter:1", T0 - 1 * H, "@gemeentezeist waarom is de Slotlaan dicht?", topic="verkeer",
                     sentiment="neutral", keywords=["Slotlaan", "dicht", "x", "Slotlaan"]),
        enriched_doc("twitter:2", T0 - 2 * H, "Omleiding SLOTLAAN is een chaos", topic="verkeer",
                     meta={"in_reply_to_municipality": "yes", "replied_by_municipality": 1}),
        enriched_doc("facebook:3", T0 - 3 * H, "Mooi park", topic="openbare_ruimte", sentiment="positive",
                     meta={"reply_to_municipality": True}),
        enriched_doc("call_note:4", T0 - 4 * H, "Belt over omleiding slotlaan", topic="verkeer",
                     meta={"callback": "true", "called_back": False}),
        enriched_doc("call_note:5", T0 - 5 * H, "Vraag over afval", meta={"callback": 1, "called_back": "yes"}),
        enriched_doc("email:6", T0 - 6 * H, "Klacht over de omleiding", topic="verkeer", place="Kerckebosch"),
        enriched_doc("twitter:7", T0 - 7 * H, "omleiding slotlaan", topic="verkeer", meta={"deleted": True}),
        enriched_doc("twitter:8", T0 - 8 * H, "Iets anders", keywords={"a": "container", "b": 3}),
        enriched_doc("twitter:9", T0 - 9 * H, "Nog iets", keywords="paspoort", meta={"deleted": "no"}),
    ]


def dossiers() -> list[Dossier]:
    """Two dossiers: keywords and a topic; a channel and a place."""
    return [Dossier(name="Slotlaan", keywords=("slotlaan", "Omleiding"), topics=("verkeer",)),
            Dossier(name="Mail Kerckebosch", channels=("email",), place="Kerckebosch")]


def side_rows(path: Path) -> dict[str, list[tuple]]:
    """Everything in the side tables, sorted, plus what the text index finds for a few words."""
    conn = connect(path, readonly=True)
    try:
        found = {word: sorted(r[0] for r in conn.execute(
            "SELECT s.id FROM signal_text t JOIN signals s ON s.rowid = t.rowid WHERE signal_text MATCH ?",
            (queries.fts_phrase(word),))) for word in ("slotlaan", "omleiding", "park", "nieuwe tekst")}
        return {
            "terms": sorted(tuple(r) for r in conn.execute("SELECT term, ts, id FROM signal_terms")),
            "flags": sorted(tuple(r) for r in conn.execute("SELECT * FROM signal_flags")),
            "members": sorted(tuple(r) for r in conn.execute("SELECT * FROM dossier_signal")),
            "hours": sorted(tuple(r) for r in conn.execute("SELECT * FROM signal_hour WHERE stored > 0")),
            "days": sorted(tuple(r) for r in conn.execute("SELECT * FROM signal_day WHERE stored > 0")),
            "term_hours": sorted(tuple(r) for r in conn.execute("SELECT * FROM term_hour WHERE n > 0")),
            "search_hours": sorted(tuple(r) for r in conn.execute("SELECT * FROM search_hour WHERE searches > 0")),
            "search_days": sorted(tuple(r) for r in conn.execute("SELECT * FROM search_day WHERE searches > 0")),
            "cube": sorted(tuple(r) for r in conn.execute("SELECT * FROM signal_cube WHERE n <> 0 OR searches <> 0")),
            "dossier_hours": sorted(tuple(r) for r in conn.execute("SELECT * FROM dossier_hour WHERE n <> 0")),
            "dossier_days": sorted(tuple(r) for r in conn.execute("SELECT * FROM dossier_day WHERE n <> 0")),
            "dossier_tones": sorted(tuple(r) for r in conn.execute("SELECT * FROM dossier_tone_hour WHERE n <> 0")),
            "dossier_terms": sorted(tuple(r) for r in conn.execute("SELECT * FROM dossier_term_hour WHERE n <> 0")),
            "text": sorted((w, tuple(ids)) for w, ids in found.items()),
        }
    finally:
        conn.close()


def rebuild(path: Path) -> None:
    """Rebuild every side row from `signals` with the one-off SQL back-fill."""
    conn = connect(path)
    try:
        with conn:
            conn.execute("DELETE FROM dossier_signal")
            _backfill(conn, ACCOUNT)
            backfill_hours(conn)
            _backfill_all_dossiers(conn)
    finally:
        conn.close()


