"""Advisers' queries on a fixed stream with known answers: dossiers, what's new, needs attention, deleted signals."""
from __future__ import annotations

import sqlite3
from datetime import datetime, timezone
from pathlib import Path

import pytest

from pipeline.apps.advisers import queries as dq
from pipeline.apps.dashboard import queries
from pipeline.bench.synthetic_signals import enriched_doc
from pipeline.sinks.sqlite.advisers import Dossier, ensure_schema, save_dossier
from pipeline.sinks.sqlite.store import SqliteStore, connect

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=timezone.utc).timestamp()
H = 3_600.0
ACCOUNT = "@gemeentezeist"


def build(path: Path, docs: list[dict], later: list[dict] = ()) -> sqlite3.Connection:
    """Write `docs`, create the side tables (back-fill), write `later` (through the triggers); read-only conn."""
    store = SqliteStore(path)
    store.write(None, None, docs)
    assert ensure_schema(path, ACCOUNT)
    if later:
        store.write(None, None, list(later))
    store.close()
    return connect(path, readonly=True)


SLOTLAAN = Dossier(name="Wegwerkzaamheden Slotlaan", keywords=("slotlaan", "omleiding"), topics=("verkeer",),
                   start=T0 - 48 * H, end=T0)


def slotlaan_stream() -> tuple[list[dict], list[dict]]:
    """Signals around the Slotlaan roadworks; the second list is written after the triggers exist."""
    first = [
        enriched_doc("twitter:1", T0 - 1 * H, "Omleiding Slotlaan is een chaos", topic="verkeer",
                     keywords=["omleiding", "slotlaan", "chaos"]),
        enriched_doc("twitter:2", T0 - 5 * H, "Slotlaan weer open?", topic="verkeer", sentiment="neutral",
                     keywords=["slotlaan", "open"]),
        enriched_doc("twitter:4", T0 - 2 * H, "Slotlaan container vol", topic="afval", keywords=["container"]),
        enriched_doc("twitter:5", T0 - 3 * H, "Drukte op de A28", topic="verkeer", keywords=["drukte"]),
        enriched_doc("twitter:8", T0 - 72 * H, "Slotlaan gaat dicht", topic="verkeer", sentiment="neutral",
                     keywords=["slotlaan", "dicht"]),
        enriched_doc("twitter:9", T0 - 1 * H, "SLOTLAAN omleiding in Kerckebosch", topic="verkeer",
                     place="Kerckebosch", keywords=["slotlaan"], sentiment="neutral"),
    ]
    later = [
        enriched_doc("facebook:3", T0 - 30 * H, "De omleiding via de Laan van Vollenhove is prima", topic="verkeer",
                     sentiment="positive", keywords=["omleiding", "laan"]),
        enriched_doc("call_note:6", T0 - 4 * H, "Meneer belt over omleiding slotlaan, graag terugbellen",
                     topic="verkeer", keywords=["omleiding", "slotlaan", "terugbellen"], meta={"callback": True}),
        enriched_doc("twitter:7", T0 - 6 * H, "omleiding slotlaan", topic="verkeer", keywords=["omleiding"],
                     meta={"deleted": True}),
    ]
    return first, later


@pytest.fixture(params=["trigram-index", "like"])
def text_search(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run a test once with text matched through the FTS5 trigram index and once through LIKE."""
    monkeypatch.setattr(queries, "FTS_MIN_ROWS", 0 if request.param == "trigram-index" else 10**9)
    return request.param


def test_dossier_report_counts_the_watch_and_compares_with_the_period_before(store_path: Path, text_search: str) -> None:
    """Keywords (any, any case) AND topic; deleted left out; the previous 48 h compared."""
    first, later = slotlaan_stream()
    conn = build(store_path, first, later)
    report = dq.dossier_report(conn, SLOTLAAN)
    cur, prev = report["current"], report["previous"]
    # 1, 2, 9 (any case), 3 and 6 (via triggers); 4 is afval, 5 has no keyword, 7 is deleted
    assert cur["total"] == 5
    assert cur["sentiments"] == {"negative": 2, "neutral": 2, "positive": 1}
    assert cur["negative_share"] == 0.4
    assert cur["channels"] == {"twitter": 3, "call_note": 1, "facebook": 1}
    assert (prev["total"], prev["start"], prev["end"]) == (1, T0 - 96 * H, T0 - 48 * H)
    assert report["change"]["total"] == 4.0
    assert report["change"]["negative_share_points"] == 0.4  # 0 of 1 negative before
    series = report["series"]
    assert series["bucket_seconds"] == H and len(series["buckets"]) == 48
    assert sum(series["totals"]) == 5
    assert series["totals"][series["buckets"].index(T0 - H)] == 2
    assert series["counts"]["negative"][series["buckets"].index(T0 - 4 * H)] == 1
    terms = {t["term"]: t["count"] for t in report["terms"]}
    assert terms["slotlaan"] == 4 and terms["omleiding"] == 3 and "container" not in terms


def test_dossier_place_and_channels_narrow_the_watch(store_path: Path) -> None:
    """A neighbourhood and a channel list are extra conditions."""
    first, later = slotlaan_stream()
    conn = build(store_path, first, later)
    in_place = Dossier(name="x", keywords=("slotlaan",), place="Kerckebosch", start=T0 - 48 * H, end=T0)
    assert dq.dossier_figures(conn, in_place, T0 - 48 * H, T0)["total"] == 1
    calls = Dossier(name="y", keywords=("omleiding",), channels=("call_note", "facebook"))
    assert dq.dossier_figures(conn, calls, T0 - 48 * H, T0)["channels"] == {"call_note": 1, "facebook": 1}


def test_messages_of_a_dossier_and_drill_down_filters(store_path: Path, text_search: str) -> None:
    """latest() with the dossier condition, a term and a time range gives exactly the matching rows."""
    first, later = slotlaan_stream()
    build(store_path, first, later)
    saved = save_dossier(store_path, SLOTLAAN)
    conn = connect(store_path, readonly=True)
    dossier = dq.get_dossier(conn, saved.id or 0)
    assert dossier is not None and dossier.keywords == ("slotlaan", "omleiding")
    sql, params = dq.dossier_condition(conn, dossier, "signals")

    def ids(**kw: object) -> list[str]:
        flt = queries.SignalFilter(start=T0 - 48 * H, end=T0, extra_sql=sql, extra_params=tuple(params), **kw)
        return [s["id"] for s in queries.latest(conn, flt, 50)]

    assert ids() == ["twitter:9", "twitter:1", "call_note:6", "twitter:2", "facebook:3"]
    assert ids(sentiment="negative") == ["twitter:1", "call_note:6"]
    assert ids(term="chaos") == ["twitter:1"]
    assert ids(channel="facebook") == ["facebook:3"]
    hour = queries.SignalFilter(start=T0 - 5 * H, end=T0 - 4 * H + 1, extra_sql=sql, extra_params=tuple(params))
    assert [s["id"] for s in queries.latest(conn, hour)] == ["call_note:6", "twitter:2"]


def test_deleted_signals_are_hidden_from_counts_and_lists(store_path: Path, text_search: str) -> None:
    """meta.deleted signals leave summary, volume and the list; an update that deletes one takes it out too."""
    first, later = slotlaan_stream()
    conn = build(store_path, first, later)
    total = queries.summary(conn, T0 - 100 * H, T0)["total"]
    assert total == 8  # nine stored, one deleted
    assert "twitter:7" not in [s["id"] for s in queries.latest(conn, queries.SignalFilter(), 50)]
    store = SqliteStore(store_path)
    store.write(None, None, [enriched_doc("twitter:1", T0 - 1 * H, "Omleiding Slotlaan is een chaos", topic="verkeer",
                                          meta={"deleted": True})])
    store.close()
    conn = connect(store_path, readonly=True)
    assert queries.summary(conn, T0 - 100 * H, T0)["total"] == 7
    vol = queries.volume(conn, "topic", T0 - 100 * H, T0, 3_600)
    assert sum(s["total"] for s in vol["series"]) == 7
    assert dq.dossier_figures(conn, SLOTLAAN, T0 - 48 * H, T0)["total"] == 4


def whats_new_stream() -> list[dict]:
    """Last 24 h against the same hours a week earlier, with known rises."""
    docs = []
    n = 0

    def add(at: float, topic: str, keyword: str, **kw: object) -> None:
        nonlocal n
        n += 1
        docs.append(enriched_doc(f"twitter:{n}", at, f"bericht {n % 4} over {keyword}", topic=topic, keywords=[keyword], **kw))

    for i in range(5):
        add(T0 - (i + 1) * H, "verkeer", "slotlaan")
    add(T0 - 7 * 24 * H - 2 * H, "verkeer", "slotlaan")
    add(T0 - 2 * H, "verkeer", "slotlaan", meta={"deleted": True})
    for i in range(4):
        add(T0 - (i + 2) * H, "afval", "container")
        add(T0 - 7 * 24 * H - (i + 2) * H, "afval", "container")
    for i in range(3):
        add(T0 - (i + 10) * H, "burgerzaken", "paspoort")
    add(T0 - 30 * H, "zorg", "wmo")  # outside both windows
    add(T0 - 7 * 24 * H - 30 * H, "zorg", "wmo")
    return docs


def test_whats_new_ranks_rises_against_the_same_hours_last_week(store_path: Path) -> None:
    """slotlaan +4, paspoort +3; container is flat; topics likewise; each with its newest messages."""
    conn = build(store_path, whats_new_stream())
    result = dq.whats_new(conn, hours=24, min_count=3, end=T0)
    assert (result["start"], result["baseline_start"], result["baseline_end"]) == (T0 - 24 * H, T0 - 192 * H, T0 - 168 * H)
    terms = [(t["key"], t["count"], t["before"], t["rise"]) for t in result["terms"]]
    assert terms == [("slotlaan", 5, 1, 4), ("paspoort", 3, 0, 3)]
    assert result["terms"][0]["change"] == 4.0 and result["terms"][1]["change"] is None
    topics = [(t["key"], t["count"], t["before"]) for t in result["topics"]]
    assert topics == [("verkeer", 5, 1), ("burgerzaken", 3, 0)]
    examples = result["terms"][0]["messages"]
    assert len(examples) == 3 and all(m["text"].endswith("over slotlaan") for m in examples)
    assert len({m["text"] for m in examples}) == 3  # a repeated text is shown once
    assert examples[0]["ts"] == T0 - H


def attention_stream() -> list[dict]:
    """Messages addressed to the municipality, some answered, some not."""
    return [
        enriched_doc("call_note:a", T0 - 30 * H, "Graag terugbellen over melding", topic="dienstverlening",
                     meta={"callback": True, "team": "KCC"}),
        enriched_doc("call_note:b", T0 - 2 * H, "Terugbellen", meta={"callback": True, "called_back": True}),
        enriched_doc("call_note:c", T0 - 5 * H, "Vraag beantwoord", meta={"callback": False}),
        enriched_doc("twitter:d", T0 - 50 * H, "@GemeenteZeist waarom is de weg dicht?", sentiment="neutral"),
        enriched_doc("twitter:e", T0 - 10 * H, "@gemeentezeist bedankt!", sentiment="positive"),
        enriched_doc("facebook:f", T0 - 3 * H, "Wanneer wordt het gat gerepareerd?", sentiment="neutral",
                     meta={"in_reply_to_municipality": True}),
        enriched_doc("twitter:g", T0 - 20 * H, "@gemeentezeist wat een klacht", meta={"replied_by_municipality": True}),
        enriched_doc("email:h", T0 - 40 * H, "Vraag over de WOZ-beschikking", sentiment="neutral"),
        enriched_doc("twitter:i", T0 - 60 * H, "@gemeentezeist help?", meta={"deleted": True}),
        enriched_doc("twitter:j", T0 - 70 * H, "De gemeente doet niks", sentiment="negative"),  # not addressed
    ]


def test_needs_attention_lists_open_items_oldest_first_with_norms(store_path: Path) -> None:
    """Unanswered questions/complaints only; call 24 h, mail 48 h, social 24 h; overdue against `now`."""
    conn = build(store_path, attention_stream()[:5], attention_stream()[5:])
    result = dq.needs_attention(conn, dq.ServiceNorms(), now=T0)
    assert [i["id"] for i in result["items"]] == ["twitter:d", "email:h", "call_note:a", "facebook:f"]
    assert [i["norm_hours"] for i in result["items"]] == [24, 48, 24, 24]
    assert [i["overdue"] for i in result["items"]] == [True, False, True, False]
    assert (result["total"], result["overdue"]) == (4, 2)
    assert result["items"][2]["team"] == "KCC"
    assert result["items"][1]["due"] == T0 + 8 * H
    longer = dq.needs_attention(conn, dq.ServiceNorms(social_hours=72), now=T0)
    assert longer["overdue"] == 1  # only the call note
    assert dq.needs_attention(conn, now=T0, channel="twitter")["total"] == 1


def test_changing_the_account_rebuilds_the_flags(store_path: Path) -> None:
    """The mention rule follows the configured account."""
    conn = build(store_path, attention_stream())
    assert dq.needs_attention(conn, now=T0)["total"] == 4
    assert ensure_schema(store_path, "@anderegemeente")
    conn = connect(store_path, readonly=True)
    assert dq.needs_attention(conn, now=T0)["total"] == 3  # twitter:d no longer addressed


def test_queries_without_side_tables_or_store_give_empty_answers(store_path: Path) -> None:
    """No store, or a store the side tables were never added to: empty results, no errors."""
    assert dq.needs_attention(None)["items"] == []
    assert dq.whats_new(None)["terms"] == []
    assert dq.list_dossiers(None) == []
    store = SqliteStore(store_path)
    store.write(None, None, attention_stream())
    store.close()
    conn = connect(store_path, readonly=True)
    assert dq.needs_attention(conn, now=T0)["total"] == 0
    assert dq.dossier_figures(conn, SLOTLAAN, T0 - 48 * H, T0)["total"] == 0
    assert len(queries.latest(conn, queries.SignalFilter(q="gemeentezeist"))) == 4  # d, e, g, i (LIKE path)


@pytest.mark.parametrize("text", ["50%", "a_b", "\"quoted\"", "ab"])
def test_text_search_takes_special_characters_literally(store_path: Path, text: str, text_search: str) -> None:
    """The trigram index and the LIKE fallback both match the text literally."""
    conn = build(store_path, [enriched_doc("twitter:1", T0, f"x {text} y"), enriched_doc("twitter:2", T0 - 1, "x y z")])
    assert [s["id"] for s in queries.latest(conn, queries.SignalFilter(q=text))] == ["twitter:1"]


def test_text_search_probe_and_index_give_the_same_rows(store_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A common word is answered from the newest rows by LIKE, a rare one through the index: same as a full scan."""
    docs = [enriched_doc(f"twitter:{i}", T0 - i * 60, f"melding {i} over de stoep" + (" boom" if i in (3, 17) else ""))
            for i in range(40)]
    conn = build(store_path, docs)
    expected_common = [f"twitter:{i}" for i in range(5)]
    monkeypatch.setattr(queries, "FTS_MIN_ROWS", 10**9)
    assert [s["id"] for s in queries.latest(conn, queries.SignalFilter(q="stoep"), 5)] == expected_common
    monkeypatch.setattr(queries, "FTS_MIN_ROWS", 0)
    monkeypatch.setattr(queries, "PROBE_ROWS", 8)
    assert [s["id"] for s in queries.latest(conn, queries.SignalFilter(q="stoep"), 5)] == expected_common
    assert [s["id"] for s in queries.latest(conn, queries.SignalFilter(q="boom"), 5)] == ["twitter:3", "twitter:17"]
    page = queries.latest(conn, queries.SignalFilter(q="stoep"), 5, before=(T0 - 4 * 60, "twitter:4"))
    assert [s["id"] for s in page] == [f"twitter:{i}" for i in range(5, 10)]
