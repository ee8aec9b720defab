"""Side rows written per batch by SqliteStore: same rows as the SQL back-fill, idempotent, dossier membership."""
from __future__ import annotations

import json
import sqlite3
from dataclasses import replace
from pathlib import Path

import pytest

from fakes.side_rows_data import ACCOUNT, T0, H, dossiers, mixed_stream, rebuild, side_rows
from pipeline.apps.advisers import queries as dq
from pipeline.apps.dashboard import queries
from pipeline.bench.synthetic_signals import enriched_doc
from pipeline.sinks.sqlite.advisers import ensure_schema, save_dossier
from pipeline.sinks.sqlite.store import SqliteStore, connect


def prepared_store(path: Path) -> SqliteStore:
    """A store with the side tables and the two dossiers, before any signal is written."""
    store = SqliteStore(path)
    store.write(None, None, [enriched_doc("twitter:0", T0 - 100 * H, "eerste")])
    assert ensure_schema(path, ACCOUNT)
    for dossier in dossiers():
        save_dossier(path, dossier)
    return store


def test_batch_side_rows_equal_the_sql_backfill(store_path: Path) -> None:
    """Terms, flags, text index and dossier membership written per batch match a rebuild from the stored rows."""
    store = prepared_store(store_path)
    store.write(None, None, mixed_stream()[:5])
    store.write(None, None, mixed_stream()[5:])
    store.close()
    written = side_rows(store_path)
    assert ("slotlaan", T0 - H, "twitter:1") in written["terms"]
    assert {r[0] for r in written["flags"]} == {"twitter:1", "twitter:2", "call_note:4", "call_note:5", "email:6",
                                                "twitter:7"}
    assert {(r[0], r[2]) for r in written["members"]} == {(1, "twitter:1"), (1, "twitter:2"), (1, "call_note:4"),
                                                           (1, "email:6"), (2, "email:6")}
    rebuild(store_path)
    assert side_rows(store_path) == written


def test_rewriting_signals_does_not_double_count(store_path: Path) -> None:
    """Writing a batch again, an id twice in one batch, or a changed text leaves one set of side rows per signal."""
    store = prepared_store(store_path)
    store.write(None, None, mixed_stream())
    once = side_rows(store_path)
    store.write(None, None, mixed_stream())
    assert side_rows(store_path) == once
    changed = enriched_doc("twitter:2", T0 - 2 * H, "nieuwe tekst zonder straat", topic="verkeer")
    store.write(None, None, [mixed_stream()[1], changed])
    store.close()
    after = side_rows(store_path)
    assert dict(after["text"])["nieuwe tekst"] == ("twitter:2",)
    assert "twitter:2" not in dict(after["text"])["omleiding"]
    assert "twitter:2" not in {r[2] for r in after["members"]}
    assert "twitter:2" not in {r[0] for r in after["flags"]}
    conn = connect(store_path, readonly=True)
    terms = [r[0] for r in conn.execute("SELECT term FROM signal_terms WHERE id = 'twitter:2'")]
    assert sorted(terms) == sorted(changed["keywords"]) and "chaos" not in terms
    assert queries.summary(conn, T0 - 200 * H, T0)["total"] == 9  # ten stored, one deleted
    rebuild(store_path)
    assert side_rows(store_path) == after


def test_saved_dossier_report_from_membership_equals_the_sql_match(store_path: Path) -> None:
    """A saved dossier (membership table) and an unsaved copy (matched by SQL) give the same report and messages."""
    store = prepared_store(store_path)
    store.write(None, None, mixed_stream())
    store.close()
    conn = connect(store_path, readonly=True)
    for saved in dq.list_dossiers(conn):
        pinned = replace(saved, start=T0 - 48 * H, end=T0)
        copy = replace(pinned, id=None, created_at=None)
        assert dq.has_membership(conn, pinned) and not dq.has_membership(conn, copy)
        report, expected = dq.dossier_report(conn, pinned), dq.dossier_report(conn, copy)
        assert report["current"]["total"] > 0
        del report["dossier"], expected["dossier"]
        assert report == expected
        lists = []
        for dossier in (pinned, copy):
            sql, params = dq.dossier_condition(conn, dossier, "signals", (T0 - 48 * H, T0))
            flt = queries.SignalFilter(start=T0 - 48 * H, end=T0, extra_sql=sql, extra_params=tuple(params))
            lists.append([s["id"] for s in queries.latest(conn, flt, 50)])
        assert lists[0] == lists[1]


def test_upgrade_drops_old_triggers_and_keeps_side_rows(store_path: Path) -> None:
    """A store of the trigger-based version loses its triggers, keeps its side rows and gains dossier membership."""
    store = prepared_store(store_path)
    store.write(None, None, mixed_stream())
    store.close()
    before = side_rows(store_path)
    conn = connect(store_path)
    with conn:
        conn.execute("CREATE TRIGGER advisers_ai AFTER INSERT ON signals BEGIN SELECT 1; END")
        conn.execute("UPDATE advisers_meta SET value = ? WHERE key = 'advisers_schema'",
                     (json.dumps({"version": "4", "account": ACCOUNT.lower()}),))
        conn.execute("DELETE FROM dossier_signal")
    conn.close()
    assert ensure_schema(store_path, ACCOUNT)
    conn = connect(store_path, readonly=True)
    assert conn.execute("SELECT COUNT(*) FROM sqlite_master WHERE type = 'trigger'").fetchone()[0] == 0
    conn.close()
    assert side_rows(store_path) == before


def test_plain_store_writes_no_side_rows(store_path: Path) -> None:
    """Until the side tables are built for an account, a store writes only signals (nothing to keep in step)."""
    store = SqliteStore(store_path)
    store.write(None, None, mixed_stream())
    store.close()
    conn = sqlite3.connect(store_path)
    assert conn.execute("SELECT COUNT(*) FROM signal_terms").fetchone()[0] == 0
    assert conn.execute("SELECT COUNT(*) FROM signal_hour").fetchone()[0] == 0
    assert conn.execute("SELECT COUNT(*) FROM signals").fetchone()[0] == 9


def chart_answers(conn: sqlite3.Connection, start: float, end: float, bucket: int) -> tuple:
    """Summary, volume by channel and topic, sentiment and zero-result searches for one range."""
    return (queries.summary(conn, start, end), queries.volume(conn, "channel", start, end, bucket),
            queries.volume(conn, "topic", start, end, bucket), queries.sentiment_over_time(conn, start, end, bucket),
            queries.zero_result_searches(conn, start, end))


def test_charts_from_hourly_counts_equal_the_index_counts(store_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Summary, volume, sentiment and zero-result searches over whole hours read the hourly counts; the answers
    equal the per-index counts (rewritten and deleted signals included)."""
    store = prepared_store(store_path)
    store.write(None, None, mixed_stream())
    store.write(None, None, [
        enriched_doc("site_search:10", T0 - 30 * H, "paspoort", topic=None, sentiment=None,
                     query=("paspoort", "paspoort", True)),
        enriched_doc("twitter:2", T0 - 26 * H, "verplaatst en verwijderd", meta={"deleted": True})])
    searches = [("paspoort aanvragen", "paspoort", True), ("paspoort", "paspoort", False), ("", "afval", True),
                ("grofvuil", "afval", True), ("grof vuil", "afval", False), ("rijbewijs", "rijbewijs", None)]
    store.write(None, None, [enriched_doc(f"site_search:{20 + i}", T0 - (i + 3) * H - 60, query[0] or "x", query=query)
                             for i, query in enumerate(searches)])
    store.write(None, None, [enriched_doc("site_search:21", T0 - 4 * H - 60, "paspoort",
                                          query=("paspoort", "paspoort", True))])
    store.close()
    conn = connect(store_path, readonly=True)
    hours = {(r[0], r[1], r[2]): r[3:] for r in side_rows(store_path)["hours"]}
    assert hours[("channel", "twitter", T0 - 26 * H)] == (0, 1)  # deleted: stored, not counted
    assert hours[("topic", "\u0000", T0 - 30 * H)] == (1, 1)  # no topic
    spans = [(T0 - 200 * H, T0, 3_600), (T0 - 48 * H, T0 + 24 * H, 6 * 3_600), (T0 - 7 * H, T0 - 2 * H, 3_600)]
    for start, end, bucket in spans:
        assert queries.uses_rollup(conn, start, end, bucket)
    fast = [chart_answers(conn, *span) for span in spans]
    assert fast[0][0]["total"] == 15 and fast[0][0]["channels"]["twitter"] == 4
    assert [(g["group"], g["searches"], g["zero_results"]) for g in fast[0][4]] == [("paspoort", 3, 3), ("afval", 3, 2)]
    assert fast[0][4][0]["forms"][0] == {"form": "paspoort", "count": 2}  # site_search:21 rewritten as "paspoort"
    monkeypatch.setattr(queries, "uses_rollup", lambda *args: False)
    slow = [chart_answers(conn, *span) for span in spans]
    assert fast == slow


def test_charts_off_the_hour_use_the_indexes(store_path: Path) -> None:
    """A range or bucket that is not whole hours (e.g. 15-minute buckets) is not answered from the hourly counts."""
    prepared_store(store_path).close()
    conn = connect(store_path, readonly=True)
    assert not queries.uses_rollup(conn, T0 - 24 * H, T0, 900)
    assert not queries.uses_rollup(conn, T0 - 24 * H + 60, T0, 3_600)
    assert queries.uses_rollup(conn, T0 - 24 * H, T0, 3_600)


def test_term_counts_from_hourly_counts_equal_the_index_counts(store_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """Keyword counts over ranges off the hour (whole hours from `term_hour`, edges from the index) are exact."""
    store = prepared_store(store_path)
    docs = [enriched_doc(f"twitter:{100 + i}", T0 - i * 1_500, "x", keywords=["slotlaan", f"woord{i % 3}"])
            for i in range(40)]
    store.write(None, None, docs)
    store.write(None, None, [enriched_doc("twitter:105", T0 - 5 * 1_500, "x", keywords=["anders"]),
                             enriched_doc("twitter:107", T0 - 7 * 1_500, "x", keywords=["slotlaan"],
                                          meta={"deleted": True})])
    store.close()
    conn = connect(store_path, readonly=True)
    ranges = [(T0 - 10 * H - 17, T0 + 1), (T0 - 3 * H + 600, T0 - 2 * H + 1_200), (T0 - 20 * H, T0 - 4 * H)]
    fast = [dq._term_counts(conn, start, end) for start, end in ranges]
    assert fast[0]["slotlaan"] == 23 and fast[0]["anders"] == 1  # 25 in range, one rewritten without it, one deleted
    monkeypatch.setattr(dq, "side_tables_account", lambda conn: None)
    assert fast == [dq._term_counts(conn, start, end) for start, end in ranges]
