"""The dashboard queries: exact aggregates on hand-made enriched signals written through SqliteStore."""
from __future__ import annotations

import sqlite3
from datetime import datetime, timezone
from pathlib import Path

import pytest

from pipeline.apps.dashboard import queries
from pipeline.bench.synthetic_signals import enriched_doc
from pipeline.core.signal import DeadLetter
from pipeline.enrich.pii.boundary import dead_letter
from pipeline.sinks.sqlite.store import SqliteStore, connect

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=timezone.utc).timestamp()  # a whole hour


def write(path: Path, *docs: dict, dead: tuple[DeadLetter, ...] = ()) -> sqlite3.Connection:
    """Write docs into the store at `path` and return a read-only connection to it."""
    store = SqliteStore(path)
    store.write(None, None, list(docs), list(dead))
    store.close()
    return connect(path, readonly=True)


def search(n: int, at: float, normalized: str, group: str, zero: bool | None) -> dict:
    """A site search doc."""
    return enriched_doc(f"site_search:{n}", at, normalized, topic=None, sentiment=None,
                        query=(normalized, group, zero))


# ---- Period -------------------------------------------------------------------------------------

def test_period_is_anchored_at_the_newest_signal_not_the_clock(store_path: Path) -> None:
    """Fixed windows end just after the newest stored signal, whatever the clock says."""
    newest = T0 + 30 * 60 + 10
    conn = write(store_path, enriched_doc("twitter:1", T0 - 3 * 86_400), enriched_doc("twitter:2", newest))
    hour = queries.period(conn, "1h", now=T0 + 400 * 86_400)
    assert (hour.bucket_seconds, hour.end, hour.start) == (60, T0 + 31 * 60, T0 + 31 * 60 - 3_600)
    assert hour.anchor == newest
    day = queries.period(conn, "24h")
    assert (day.bucket_seconds, day.end, day.end - day.start) == (900, T0 + 45 * 60, 86_400)
    week = queries.period(conn, "7d")
    assert (week.bucket_seconds, week.end, week.bucket_count) == (3_600, T0 + 3_600, 168)


def test_all_period_covers_the_store_with_a_bounded_number_of_buckets(store_path: Path) -> None:
    """"all" spans oldest..newest with the finest bucket giving at most 240 buckets."""
    oldest, newest = T0 - 40 * 86_400 + 123, T0 + 77
    conn = write(store_path, enriched_doc("twitter:1", oldest), enriched_doc("twitter:2", newest))
    p = queries.period(conn, "all")
    assert p.start <= oldest and newest < p.end
    assert p.bucket_seconds == 6 * 3_600  # the first ladder step with at most 240 buckets for 40 days
    assert p.bucket_count <= queries.MAX_ALL_BUCKETS
    assert p.start % p.bucket_seconds == 0 and p.end % p.bucket_seconds == 0


def test_empty_and_missing_stores_anchor_at_now(store_path: Path) -> None:
    """Without signals the period ends at the given clock time."""
    SqliteStore(store_path).close()
    for conn in (connect(store_path, readonly=True), None):
        p = queries.period(conn, "24h", now=T0 + 5)
        assert (p.end, p.start, p.anchor) == (T0 + 900, T0 + 900 - 86_400, None)
        assert queries.period(conn, "all", now=T0 + 5).bucket_seconds == 900


def test_unknown_window_is_rejected() -> None:
    """An unknown window name raises ValueError."""
    with pytest.raises(ValueError, match="unknown period"):
        queries.period(None, "2d")


# ---- volume and sentiment -----------------------------------------------------------------------

def test_volume_by_channel_counts_each_bucket_and_excludes_the_end(store_path: Path) -> None:
    """Buckets are [start, start+size): start included, end excluded."""
    conn = write(
        store_path,
        enriched_doc("twitter:1", T0), enriched_doc("twitter:2", T0 + 30), enriched_doc("twitter:3", T0 + 70),
        enriched_doc("facebook:1", T0 + 65),
        enriched_doc("twitter:4", T0 - 1), enriched_doc("facebook:2", T0 + 180),  # outside [T0, T0+180)
    )
    result = queries.volume(conn, "channel", T0, T0 + 180, 60)
    assert result["buckets"] == [T0, T0 + 60, T0 + 120]
    assert [(s["key"], s["counts"], s["total"]) for s in result["series"]] == [
        ("twitter", [2, 1, 0], 3), ("facebook", [0, 1, 0], 1)]


@pytest.mark.parametrize("rows_per_bucket", [0, 10**9], ids=["count-per-bucket", "group-by"])
def test_dense_and_sparse_counting_give_the_same_buckets(store_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                         rows_per_bucket: int) -> None:
    """The per-bucket COUNT path and the GROUP BY path count alike."""
    monkeypatch.setattr(queries, "SPARSE_ROWS_PER_BUCKET", rows_per_bucket)
    offsets = [0, 59, 60, 61, 119.5, 200, 299.999, 300, 301, 450]
    conn = write(store_path, *(enriched_doc(f"twitter:{i}", T0 + dt, sentiment="neutral" if i % 3 else "positive")
                               for i, dt in enumerate(offsets)))
    result = queries.volume(conn, "channel", T0, T0 + 300, 60)
    assert result["series"] == [{"key": "twitter", "counts": [2, 3, 0, 1, 1], "total": 7}]
    sentiment = queries.sentiment_over_time(conn, T0, T0 + 300, 60)
    assert sentiment["counts"]["positive"] == [1, 1, 0, 0, 1]  # offsets 0, 61 and 299.999
    assert sentiment["counts"]["neutral"] == [1, 2, 0, 1, 0]


def test_volume_by_topic_keeps_signals_without_topic(store_path: Path) -> None:
    """Signals without a topic form their own series (key None)."""
    conn = write(store_path, enriched_doc("twitter:1", T0, topic="afval"), enriched_doc("twitter:2", T0 + 1, topic=None),
                 enriched_doc("twitter:3", T0 + 2, topic="afval"), enriched_doc("twitter:4", T0 + 3, topic="verkeer"))
    result = queries.volume(conn, "topic", T0, T0 + 3_600, 3_600)
    assert [(s["key"], s["total"]) for s in result["series"]] == [("afval", 2), ("verkeer", 1), (None, 1)]


def test_volume_rejects_bad_arguments(store_path: Path) -> None:
    """Unknown grouping, empty ranges and too many buckets raise ValueError."""
    conn = write(store_path, enriched_doc("twitter:1", T0))
    with pytest.raises(ValueError):
        queries.volume(conn, "place", T0, T0 + 60, 60)
    with pytest.raises(ValueError):
        queries.volume(conn, "channel", T0, T0, 60)
    with pytest.raises(ValueError):
        queries.volume(conn, "channel", T0, T0 + 86_400 * 30, 1)


def test_sentiment_shares_per_bucket(store_path: Path) -> None:
    """Shares are per bucket over labelled signals; empty buckets have no share."""
    conn = write(
        store_path,
        enriched_doc("twitter:1", T0, sentiment="negative"), enriched_doc("twitter:2", T0 + 10, sentiment="negative"),
        enriched_doc("twitter:3", T0 + 20, sentiment="neutral"), enriched_doc("twitter:4", T0 + 30, sentiment="positive"),
        enriched_doc("twitter:5", T0 + 40, sentiment=None),
        enriched_doc("twitter:6", T0 + 130, sentiment="positive"),
    )
    result = queries.sentiment_over_time(conn, T0, T0 + 180, 60)
    assert result["counts"] == {"negative": [2, 0, 0], "neutral": [1, 0, 0], "positive": [1, 0, 1]}
    assert result["totals"] == [4, 0, 1]
    assert result["shares"]["negative"] == [0.5, None, 0.0]
    assert result["shares"]["positive"] == [0.25, None, 1.0]
    assert result["overall"]["negative"] == {"count": 2, "share": 0.4}


# ---- summary ------------------------------------------------------------------------------------

def test_summary_totals_for_a_period(store_path: Path) -> None:
    """Totals per channel, sentiment and search outcome, for a range and for the whole store."""
    conn = write(
        store_path,
        enriched_doc("twitter:1", T0 + 10, sentiment="negative"),
        enriched_doc("twitter:2", T0 + 20, sentiment="positive"),
        enriched_doc("call_note:1", T0 + 30, sentiment="negative"),
        search(1, T0 + 40, "grofvuil", "grofvuil", True),
        search(2, T0 + 50, "grofvuil", "grofvuil", False),
        search(3, T0 + 55, "grofvuil", "grofvuil", None),
        enriched_doc("facebook:1", T0 - 500, sentiment="negative"),  # before the period
        dead=(dead_letter("file", "line 1", "invalid JSON", "{"), dead_letter("file", "line 2", "empty", "")),
    )
    s = queries.summary(conn, T0, T0 + 3_600)
    assert s["total"] == 6 and s["total_all"] == 7
    assert s["channels"] == {"site_search": 3, "twitter": 2, "call_note": 1}
    assert s["sentiments"] == {"negative": 2, "neutral": 0, "positive": 1}
    assert s["negative_share"] == round(2 / 3, 4)
    assert (s["searches"], s["zero_result_searches"], s["zero_result_share"]) == (2, 1, 0.5)
    assert s["dead_letters"] == 2
    assert s["newest_ts"] == T0 + 55 and s["newest"] == "2026-03-02T10:00:55Z"
    assert s["oldest_ts"] == T0 - 500
    whole = queries.summary(conn, T0 - 3_600, T0 + 3_600)  # covers the whole store: index-only path
    assert whole["total"] == whole["total_all"] == 7
    assert whole["channels"]["facebook"] == 1 and whole["sentiments"]["negative"] == 3
    assert (whole["searches"], whole["zero_result_searches"]) == (2, 1)


# ---- latest signals -----------------------------------------------------------------------------

@pytest.fixture
def listing(store_path: Path) -> sqlite3.Connection:
    """A store with varied signals for the list queries."""
    return write(
        store_path,
        enriched_doc("twitter:1", T0 + 1, "Weg afgesloten bij de Slotlaan", topic="verkeer", place="Centrum"),
        enriched_doc("twitter:2", T0 + 2, "Container vol", topic="afval", sentiment="neutral", place="Kerckebosch"),
        enriched_doc("facebook:1", T0 + 3, "Omleiding slecht aangegeven", topic="verkeer", place="Centrum"),
        enriched_doc("facebook:2", T0 + 3, "Mooi park", topic="openbare_ruimte", sentiment="positive"),
        enriched_doc("call_note:1", T0 + 4, "Korting van 100% beloofd?", topic="belastingen", sentiment="neutral"),
        enriched_doc("call_note:2", T0 + 5, "Korting van 100 procent", topic="belastingen", sentiment="neutral"),
        enriched_doc("twitter:3", T0 + 6, "bestand a_b.pdf werkt niet", topic="dienstverlening"),
        enriched_doc("twitter:4", T0 + 7, "bestand axb.pdf werkt niet", topic="dienstverlening"),
        enriched_doc("twitter:5", T0 + 8, "pad C:\\temp kapot", topic="overig", url="javascript:alert(1)"),
    )


def ids(rows: list[dict]) -> list[str]:
    """The ids of listed signals in order."""
    return [row["id"] for row in rows]


def test_latest_is_newest_first_with_ties_broken_by_id(listing: sqlite3.Connection) -> None:
    """The list is newest first; equal times are ordered by id; unsafe links are dropped."""
    rows = queries.latest(listing, limit=5)
    assert ids(rows) == ["twitter:5", "twitter:4", "twitter:3", "call_note:2", "call_note:1"]
    first = rows[0]
    assert first["url"] is None  # only http(s) links are passed on
    assert first["topic_label"] == "Overig" and first["sentiment"] == "negative"


def test_latest_filters_combine(listing: sqlite3.Connection) -> None:
    """Channel, topic, sentiment, place and time filters combine with AND."""
    f = queries.SignalFilter
    assert ids(queries.latest(listing, f(channel="facebook"))) == ["facebook:2", "facebook:1"]
    assert ids(queries.latest(listing, f(topic="verkeer"))) == ["facebook:1", "twitter:1"]
    assert ids(queries.latest(listing, f(topic="verkeer", channel="twitter"))) == ["twitter:1"]
    assert ids(queries.latest(listing, f(sentiment="positive"))) == ["facebook:2"]
    assert ids(queries.latest(listing, f(place="Centrum", sentiment="negative"))) == ["facebook:1", "twitter:1"]
    assert ids(queries.latest(listing, f(start=T0 + 3, end=T0 + 5))) == ["call_note:1", "facebook:2", "facebook:1"]
    assert queries.latest(listing, f(channel="whatsapp")) == []


def test_free_text_takes_percent_underscore_and_backslash_literally(listing: sqlite3.Connection) -> None:
    """LIKE wildcards in the search text match only themselves."""
    f = queries.SignalFilter
    assert ids(queries.latest(listing, f(q="100%"))) == ["call_note:1"]
    assert ids(queries.latest(listing, f(q="%"))) == ["call_note:1"]
    assert ids(queries.latest(listing, f(q="a_b"))) == ["twitter:3"]
    assert ids(queries.latest(listing, f(q="_"))) == ["twitter:3"]
    assert ids(queries.latest(listing, f(q="C:\\temp"))) == ["twitter:5"]
    assert ids(queries.latest(listing, f(q="SLOTLAAN"))) == ["twitter:1"]  # case-insensitive
    assert ids(queries.latest(listing, f(q="korting", channel="call_note"))) == ["call_note:2", "call_note:1"]


def test_latest_pages_with_a_ts_and_id_cursor(listing: sqlite3.Connection) -> None:
    """Paging with (ts, id) visits every signal once, ties included."""
    seen: list[str] = []
    before = None
    while True:
        page = queries.latest(listing, limit=2, before=before)
        if not page:
            break
        seen.extend(ids(page))
        before = (page[-1]["ts"], page[-1]["id"])
    assert seen == ids(queries.latest(listing, limit=100))
    assert len(seen) == 9 and "facebook:1" in seen and "facebook:2" in seen  # the tie at T0+3 survives paging
    assert ids(queries.latest(listing, before=(T0 + 3, None))) == ["twitter:2", "twitter:1"]
    with pytest.raises(ValueError):
        queries.latest(listing, limit=0)


def test_like_pattern_escapes() -> None:
    """The LIKE pattern escapes %, _ and the backslash."""
    assert queries.like_pattern("5%_\\") == "%5\\%\\_\\\\%"


# ---- zero-result searches -----------------------------------------------------------------------

def zero_docs() -> list[dict]:
    """Searches in three groups plus one outside the test period."""
    return [
        search(1, T0 + 1, "parkeervergunning", "parkeervergunning", True),
        search(2, T0 + 2, "parkeervergunning", "parkeervergunning", True),
        search(3, T0 + 3, "parkeervergunning", "parkeervergunning", False),
        search(4, T0 + 4, "parkeer vergunning", "parkeervergunning", True),
        search(5, T0 + 5, "parkeer vergunning", "parkeervergunning", True),
        search(6, T0 + 6, "grofvuil", "grofvuil", True),
        search(7, T0 + 7, "grof vuil", "grofvuil", False),
        search(8, T0 + 8, "grofvuil", "grofvuil", False),
        search(9, T0 + 9, "grofvuil", "grofvuil", False),
        search(10, T0 + 10, "grofvuil", "grofvuil", None),  # result count unknown: not counted
        search(11, T0 + 11, "paspoort", "paspoort", False),  # never zero: not listed
        search(12, T0 - 7_200, "hondenbelasting", "hondenbelasting", True),  # before the period
    ]


def test_zero_result_searches_group_variants_with_rates(store_path: Path) -> None:
    """Groups count zero results over searches with a known outcome; display = most frequent form."""
    conn = write(store_path, *zero_docs())
    groups = queries.zero_result_searches(conn, T0, T0 + 3_600)
    assert [(g["group"], g["display"], g["zero_results"], g["searches"], g["zero_rate"]) for g in groups] == [
        ("parkeervergunning", "parkeervergunning", 4, 5, 0.8),
        ("grofvuil", "grofvuil", 1, 4, 0.25),
    ]
    assert groups[0]["forms"] == [{"form": "parkeervergunning", "count": 3}, {"form": "parkeer vergunning", "count": 2}]
    assert queries.zero_result_searches(conn, T0, T0 + 3_600, limit=1)[0]["group"] == "parkeervergunning"


def test_zero_result_searches_over_the_whole_store_agree(store_path: Path) -> None:
    """The index-only path for the whole store gives the same figures."""
    conn = write(store_path, *zero_docs())
    whole = queries.zero_result_searches(conn, T0 - 86_400, T0 + 86_400)
    assert [(g["group"], g["display"], g["zero_results"], g["searches"], g["zero_rate"]) for g in whole] == [
        ("parkeervergunning", "parkeervergunning", 4, 5, 0.8),
        ("hondenbelasting", "hondenbelasting", 1, 1, 1.0),
        ("grofvuil", "grofvuil", 1, 4, 0.25),
    ]
    assert whole[0]["forms"][1] == {"form": "parkeer vergunning", "count": 2}


# ---- no store -----------------------------------------------------------------------------------

def test_missing_or_tableless_store_gives_empty_answers(tmp_path: Path) -> None:
    """No store, or a store without tables, gives empty answers of the usual shape."""
    bare = tmp_path / "bare.db"
    sqlite3.connect(bare).close()  # a file the runner has not created tables in yet
    for conn in (None, connect(bare, readonly=True)):
        assert queries.summary(conn, T0, T0 + 60)["total"] == 0
        assert queries.volume(conn, "topic", T0, T0 + 120, 60) == {
            "by": "topic", "start": T0, "end": T0 + 120, "bucket_seconds": 60, "buckets": [T0, T0 + 60], "series": []}
        assert queries.sentiment_over_time(conn, T0, T0 + 60, 60)["totals"] == [0]
        assert queries.latest(conn) == []
        assert queries.zero_result_searches(conn, T0, T0 + 60) == []
