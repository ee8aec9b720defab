"""The dashboard's rollup paths (hourly cube, dossier hours, days, tones and terms, stored count) answer exactly what the plain queries over
the signals answer, for aligned and unaligned ranges, after rewrites, deletions and a purge."""
from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any, Iterator

import pytest

from fakes.side_rows_data import ACCOUNT, T0, rebuild, side_rows
from pipeline.apps.advisers import queries as dq
from pipeline.apps.dashboard import filtered, queries, rollup_reads
from pipeline.bench.bulk_signals import BulkSignals, as_doc
from pipeline.bench.synthetic_signals import enriched_doc
from pipeline.sinks.sqlite.advisers import Dossier, ensure_schema, save_dossier
from pipeline.sinks.sqlite.schema import migrate
from pipeline.sinks.sqlite.side_rows import rollups_ready, side_tables_account
from pipeline.sinks.sqlite.store import SqliteStore, connect

H = 3_600.0
DAY = 86_400.0
N = 4_000
DAYS = 3.0
RANGES = [(T0 - 72 * H, T0 + 1), (T0 - 24 * H, T0), (T0 - 25.5 * H, T0 - 0.25 * H), (T0 - 7 * H + 123.4, T0 - 2 * H + 5),
          (T0 - 0.7 * H, T0 - 0.2 * H), (T0 - 30 * H, T0 - 29 * H)]
SELECTIONS = [queries.SignalFilter(topic="afval"), queries.SignalFilter(place="Centrum"),
              queries.SignalFilter(channel="site_search"), queries.SignalFilter(channel="twitter", sentiment="negative"),
              queries.SignalFilter(topic="afval", place="Kerckebosch", start=T0 - 20 * H + 60, end=T0 - 3 * H)]


def odd_docs() -> list[dict[str, Any]]:
    """Signals with no topic, sentiment or place, deleted ones, and site searches without a result count."""
    return [
        enriched_doc("twitter:odd1", T0 - 5 * H + 10, "geen onderwerp", topic=None, sentiment=None, place=None),
        enriched_doc("twitter:odd2", T0 - 5 * H + 20, "container weg", topic="afval", place="Centrum",
                     meta={"deleted": True}),
        enriched_doc("site_search:odd3", T0 - 4 * H + 30, "paspoort", topic="burgerzaken", sentiment="neutral",
                     query=("paspoort", "paspoort", None)),
        enriched_doc("site_search:odd4", T0 - 4 * H + 40, "grofvuil", topic="afval", sentiment="neutral",
                     query=("grofvuil", "grofvuil", True), meta={"deleted": True}),
    ]


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Path]:
    """A store with side tables, two dossiers, 4,000 generated signals over three days, odd ones, rewrites and a
    purge of the oldest stored batch."""
    path = tmp_path / "store.db"
    SqliteStore(path).close()
    assert ensure_schema(path, ACCOUNT)
    save_dossier(path, Dossier(name="Lantaarnpalen", keywords=("lantaarnpaal", "kapot"), topics=("openbare_ruimte",)))
    save_dossier(path, Dossier(name="Wachttijd", keywords=("wachttijd",), channels=("twitter", "facebook"),
                               start=T0 - 50 * H + 777))
    rows = BulkSignals(N, DAYS, end=T0).rows(0, N)
    sink = SqliteStore(path)
    sink.write(None, None, [as_doc(r) for r in rows[:300]], stored_at=1_000.0)  # purged below
    for first in range(300, N, 900):
        sink.write(None, None, [as_doc(r) for r in rows[first:first + 900]])
    sink.write(None, None, odd_docs())
    changed = [{**as_doc(r), "topic": {"code": "verkeer", "label": "Verkeer", "confidence": 0.9}, "place": "Centrum"}
               for r in rows[1000:1100]]
    sink.write(None, None, changed)  # rewritten: counted once, with the new values
    sink.write(None, None, [as_doc(r) for r in rows[2000:2100]])  # the same signals again
    assert sink.purge(2_000.0).signals == 300
    sink.close()
    yield path


def fast_and_plain(monkeypatch: pytest.MonkeyPatch, call: Any) -> tuple[Any, Any]:
    """`call()` with the rollups, and again with every module told that the store keeps none."""
    fast = call()
    with monkeypatch.context() as patch:
        for module in (queries, rollup_reads, dq):
            if hasattr(module, "rollups_ready"):
                patch.setattr(module, "rollups_ready", lambda conn: False)
            if hasattr(module, "side_tables_account"):
                patch.setattr(module, "side_tables_account", lambda conn: None)
        plain = call()
    return fast, plain


def test_rollups_equal_a_rebuild_after_rewrites_and_purge(store: Path) -> None:
    """The cube and dossier hours kept per batch (and taken back by the purge) equal those rebuilt from the rows."""
    kept = side_rows(store)
    assert kept["cube"] and kept["dossier_hours"] and kept["dossier_days"] and kept["dossier_tones"]
    assert kept["dossier_terms"]
    rebuild(store)
    assert side_rows(store) == kept


def test_summary_and_series_equal_the_plain_queries(store: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Summary, volume and sentiment for whole and partial hours, with and without a selection."""
    conn = connect(store, readonly=True)
    try:
        assert queries.stored_count(conn) == conn.execute("SELECT COUNT(*) FROM signals").fetchone()[0]
        for start, end in RANGES:
            fast, plain = fast_and_plain(monkeypatch, lambda: queries.summary(conn, start, end))
            assert fast == plain and fast["total"] > 0
            for selection in SELECTIONS:
                for bucket in (900, 3_600, 3 * 3_600, 86_400):
                    if queries.bucket_count(start, end, bucket) > queries.MAX_BUCKETS:
                        continue
                    calls = [lambda: filtered.summary(conn, selection, start, end),
                             lambda: filtered.volume(conn, "topic", selection, start, end, bucket),
                             lambda: filtered.volume(conn, "channel", selection, start, end, bucket),
                             lambda: filtered.sentiment_over_time(conn, selection, start, end, bucket)]
                    for call in calls:
                        fast, plain = fast_and_plain(monkeypatch, call)
                        assert fast == plain, (start, end, selection, bucket)
    finally:
        conn.close()


def test_series_over_whole_days_from_the_daily_counts_equal_the_plain_queries(
        store: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Volume and sentiment in day or week buckets over whole UTC days (read from `signal_day`), in hour buckets over
    the same days, the summary and the zero-result searches (from `search_day`) equal the plain queries; the stored
    total equals a direct count."""
    first = (T0 // DAY - 4) * DAY
    conn = connect(store, readonly=True)
    try:
        assert rollup_reads.has_days(conn)
        assert rollup_reads.stored_total(conn) == conn.execute("SELECT COUNT(*) FROM signals").fetchone()[0]
        for start, end in ((first, first + 5 * DAY), (first + DAY, first + 3 * DAY), (first, first + 7 * DAY)):
            for bucket in (3_600, DAY, 7 * DAY):
                for call in (lambda: queries.volume(conn, "topic", start, end, bucket),
                             lambda: queries.volume(conn, "channel", start, end, bucket),
                             lambda: queries.sentiment_over_time(conn, start, end, bucket),
                             lambda: queries.summary(conn, start, end),
                             lambda: queries.zero_result_searches(conn, start, end)):
                    fast, plain = fast_and_plain(monkeypatch, call)
                    assert fast == plain, (start, end, bucket)
        assert queries.zero_result_searches(conn, first, first + 7 * DAY)
        week = queries.volume(conn, "channel", first, first + 7 * DAY, 7 * DAY)
        assert sum(s["total"] for s in week["series"]) == queries.summary(conn, first, first + 7 * DAY)["total"] > 0
    finally:
        conn.close()


def test_text_no_signal_holds_is_answered_from_the_trigram_index(store: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A text with a three-character piece that no signal holds finds nothing at once; any other text gives the
    same newest signals as the search without that check, over long and short ranges."""
    monkeypatch.setattr(queries, "PROBE_ROWS", 500)
    conn = connect(store, readonly=True)
    try:
        assert queries.text_absent(conn, "zzq_no_match")
        assert queries.text_absent(conn, "wachttijd bij het loket, al weken zonder antwoord qqx")  # a rare piece at its end
        assert not queries.text_absent(conn, "wachttijd")
        assert not queries.text_absent(conn, "Wachttijd")
        for text in ("zzq_no_match", "wachttijd", "Wachttijd", "lantaarnpaal kapot", "paspoort kwijt", "tijd bij"):
            for start, end in ((None, None), (T0 - 30 * H, T0), (T0 - 2 * H, T0)):
                flt = queries.SignalFilter(q=text, start=start, end=end)
                fast = queries.latest(conn, flt, 30)
                with monkeypatch.context() as patch:
                    patch.setattr(queries, "text_absent", lambda *_args: False)
                    plain = queries.latest(conn, flt, 30)
                assert fast == plain, (text, start, end)
        assert queries.latest(conn, queries.SignalFilter(q="wachttijd"), 30)
    finally:
        conn.close()


def test_selection_counts_match_a_direct_count(store: Path) -> None:
    """A selection's total is the plain count of its signals, deleted ones left out."""
    conn = connect(store, readonly=True)
    try:
        start, end = T0 - 48 * H, T0 + 1
        got = filtered.summary(conn, queries.SignalFilter(topic="afval"), start, end)["total"]
        want = conn.execute("SELECT COUNT(*) FROM signals WHERE topic = 'afval' AND ts >= ? AND ts < ? AND id NOT IN "
                            "(SELECT id FROM signal_flags WHERE deleted = 1)", (start, end)).fetchone()[0]
        assert got == want > 0
    finally:
        conn.close()


def test_dossier_reports_whats_new_and_digest_equal_the_plain_queries(store: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """Dossier reports (open and unaligned periods), what's new and the digest figures."""
    conn = connect(store, readonly=True)
    try:
        for saved in dq.list_dossiers(conn):
            for dossier in (saved, replace(saved, start=T0 - 30 * H + 11, end=T0 - 2 * H + 7)):
                fast, plain = fast_and_plain(monkeypatch, lambda: dq.dossier_report(conn, dossier))
                assert fast == plain and fast["current"]["total"] > 0
        fast, plain = fast_and_plain(monkeypatch, lambda: dq.whats_new(conn, 24, end=T0 - 0.5 * H))
        assert fast == plain
        fast, plain = fast_and_plain(monkeypatch, lambda: dq.digest_figures(conn, T0 - 1_234.0))
        assert fast == plain and fast["dossiers"]
    finally:
        conn.close()


DOSSIER_RANGES = [(T0 - 72 * H, T0 + 1), (T0 - 58 * H, T0 - 10 * H), (T0 - 57.3 * H + 5, T0 - 9.6 * H),
                  (T0 - 34 * H + 0.5, T0 - 33.2 * H), (T0 - 10 * H, T0 - 9 * H), (T0 - 500 * H, T0 - 300 * H)]


def test_dossier_figures_and_series_over_days_and_hours_equal_the_plain_queries(
        store: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A dossier's figures (whole UTC days, other whole hours, partial hours) and its series (hours inside a bucket,
    hours a bucket edge cuts) equal those counted over the signals, and the total is a direct count."""
    conn = connect(store, readonly=True)
    try:
        for dossier in dq.list_dossiers(conn):
            for start, end in DOSSIER_RANGES:
                fast, plain = fast_and_plain(monkeypatch, lambda: dq.dossier_figures(conn, dossier, start, end))
                assert fast == plain, (dossier.name, start, end)
                want = conn.execute("SELECT COUNT(*) FROM dossier_signal WHERE dossier_id = ? AND ts >= ? AND ts < ?",
                                    (dossier.id, start, end)).fetchone()[0]
                assert fast["total"] == want
                for bucket in (900, 3_600, 3 * 3_600, 86_400):
                    if queries.bucket_count(start, end, bucket) > 400:
                        continue
                    fast, plain = fast_and_plain(
                        monkeypatch, lambda: dq.dossier_series(conn, dossier, start, end, bucket))
                    assert fast == plain, (dossier.name, start, end, bucket)
                    assert sum(fast["totals"]) == want
        assert any(dq.dossier_figures(conn, d, *DOSSIER_RANGES[1])["total"] for d in dq.list_dossiers(conn))
    finally:
        conn.close()


TIED = T0 - 20 * H + 0.25  # several members of the second dossier at one moment


def _write_tied_members(path: Path) -> None:
    """Five signals of the "Wachttijd" dossier at the same time, with different ids and terms."""
    words = ["loket", "paspoort", "balie", "afspraak", "formulier"]
    sink = SqliteStore(path)
    sink.write(None, None, [enriched_doc(f"twitter:tie{i}", TIED, f"wachttijd bij het {word}",
                                         keywords=["wachttijd", word]) for i, word in enumerate(words)])
    sink.close()


def _sampled_terms(conn: Any, dossier_id: int, start: float, end: float, sample: int) -> list[tuple[str, int]]:
    """The plain count: terms of the newest `sample` members (time, then id, descending)."""
    return [tuple(r) for r in conn.execute(
        "SELECT t.term, COUNT(*) FROM signal_terms t WHERE t.id IN (SELECT id FROM dossier_signal WHERE dossier_id = ? "
        "AND ts >= ? AND ts < ? ORDER BY ts DESC, id DESC LIMIT ?) GROUP BY t.term ORDER BY 2 DESC, 1",
        (dossier_id, start, end, sample))]


def test_dossier_terms_from_hourly_term_counts_equal_the_plain_queries(store: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """The terms of a dossier's newest members (whole hours from the rollup, the hours at both ends and members
    tied in time from their own terms) equal the plain count, for samples that end inside, at and beyond the range."""
    _write_tied_members(store)
    conn = connect(store, readonly=True)
    try:
        for dossier in dq.list_dossiers(conn):
            ranges = [*DOSSIER_RANGES, (TIED - 3 * H + 0.5, TIED + 0.1), (TIED, TIED + 2 * H)]
            for start, end in ranges:
                members = conn.execute("SELECT COUNT(*) FROM dossier_signal WHERE dossier_id = ? AND ts >= ? AND ts < ?",
                                       (dossier.id, start, end)).fetchone()[0]
                for sample in (1, 3, 7, 150, max(1, members - 1), members + 5):
                    monkeypatch.setattr(dq, "TERM_SAMPLE", sample)
                    want = _sampled_terms(conn, int(dossier.id or 0), start, end, sample)
                    assert dq._member_terms(conn, dossier, start, end) == want, (dossier.name, start, end, sample)
                    fast, plain = fast_and_plain(monkeypatch, lambda: dq.dossier_terms(conn, dossier, start, end))
                    assert fast == plain, (dossier.name, start, end, sample)
        tied = [r[0] for r in conn.execute("SELECT id FROM dossier_signal WHERE ts = ? ORDER BY id", (TIED,))]
        assert len(tied) == 5
    finally:
        conn.close()


def test_the_migration_fills_the_daily_tone_and_term_counts(store: Path) -> None:
    """A store at schema 6 (hourly counts only) gets the daily counts, the dossiers' daily, tone and term counts
    filled by the migration: equal to a rebuild."""
    kept = side_rows(store)
    conn = connect(store)
    with conn:
        conn.execute("DROP TABLE dossier_day")
        conn.execute("DROP TABLE dossier_tone_hour")
        conn.execute("DROP TABLE dossier_term_hour")
        conn.execute("DROP TABLE signal_day")
        conn.execute("DROP TABLE search_day")
        conn.execute("PRAGMA user_version=6")
    assert migrate(conn) == 6
    conn.close()
    assert side_rows(store) == kept and kept["dossier_days"] and kept["dossier_tones"] and kept["dossier_terms"]
    assert kept["days"] and kept["search_days"]


def test_a_store_of_the_previous_side_table_version_gets_its_rollups(store: Path) -> None:
    """A store whose side tables predate the rollups keeps its side rows per batch until the dashboard upgrades it;
    the upgrade fills the cube and dossier hours and leaves terms and text index as they are."""
    kept = side_rows(store)
    conn = connect(store)
    with conn:
        conn.execute("UPDATE advisers_meta SET value = ? WHERE key = 'advisers_schema'",
                     (json.dumps({"version": "5", "account": ACCOUNT.lower()}),))
        conn.execute("DELETE FROM signal_cube")
        conn.execute("DELETE FROM dossier_hour")
        conn.execute("DELETE FROM dossier_day")
        conn.execute("DELETE FROM dossier_tone_hour")
        conn.execute("DELETE FROM dossier_term_hour")
    conn.close()
    conn = connect(store, readonly=True)
    assert not rollups_ready(conn) and side_tables_account(conn) == ACCOUNT.lower()
    conn.close()
    extra = enriched_doc("twitter:late", T0 - 3 * H, "lantaarnpaal kapot in het park", topic="openbare_ruimte")
    sink = SqliteStore(store)
    sink.write(None, None, [extra])
    sink.close()
    assert ensure_schema(store, ACCOUNT)
    upgraded = side_rows(store)
    assert upgraded["cube"] and upgraded["dossier_hours"] != kept["dossier_hours"]
    assert ("lantaarnpaal", T0 - 3 * H, "twitter:late") in upgraded["terms"]
    rebuild(store)
    assert side_rows(store) == upgraded
