"""Review workflow over the store: per-group statistics and trends, status with notes, the reopen rule, CSV rows."""
from __future__ import annotations

import csv
import io
from datetime import datetime, timezone
from pathlib import Path

import pytest

from fakes.search_fixtures import repeated, search_doc
from pipeline.apps.webteam.periods import DAY, parse_end_day, search_period
from pipeline.apps.webteam.review import REOPEN_AFTER, GroupFilter, ReviewService, csv_safe
from pipeline.apps.webteam.trend import classify_trend
from pipeline.sinks.sqlite.store import SqliteStore

# Period under review: the week 2024-10-08 .. 2024-10-14 (UTC); the week before is 2024-10-01 .. 10-07.
END = datetime(2024, 10, 15, tzinfo=timezone.utc).timestamp()
WEEK_START = END - 7 * DAY
PREV_START = WEEK_START - 7 * DAY


def fill(store_path: Path) -> None:
    """A store with groups whose trends and counts are known by construction."""
    docs = (
        repeated("parkeervergunning", 6, WEEK_START + 3600, results=0)        # rising: 6 vs 1
        + repeated("parkeer vergunning", 3, WEEK_START + 7200, results=0)
        + repeated("parkeervergunnig", 1, PREV_START + 3600, results=0)
        + repeated("parkeervergunning", 2, WEEK_START + 9000, results=5)      # found results: not zero
        + repeated("pasport", 2, WEEK_START + 100, results=0)                  # new this week
        + repeated("afvalkalender", 2, WEEK_START + 500, results=0)           # falling: 2 vs 8
        + repeated("afvalkalender", 8, PREV_START + 500, results=0)
        + repeated("wmo", 3, WEEK_START + 600, results=0)                     # steady: 3 vs 3
        + repeated("wmo", 3, PREV_START + 600, results=0)
        + repeated("zwembad", 4, WEEK_START + 700, results=None)              # result count unknown
        + repeated("=HYPERLINK(\"x\")", 1, WEEK_START + 800, results=0)       # formula in resident text
    )
    store = SqliteStore(store_path)
    store.write(None, None, docs)
    store.close()


@pytest.fixture
def service(store_path: Path) -> ReviewService:
    """A review service over the filled store."""
    fill(store_path)
    return ReviewService(store_path)


def by_group(service: ReviewService, **kwargs) -> dict[str, dict]:
    """The listed rows for the reviewed week, by group key."""
    result = service.groups(GroupFilter(window="7d", end=END, **kwargs))
    return {row["group"]: row for row in result["groups"]}


def test_statistics_per_group_and_period(service: ReviewService) -> None:
    rows = by_group(service)
    parking = rows["parkeervergunning"]
    assert (parking["searches"], parking["zero_results"], parking["previous_zero_results"]) == (11, 9, 1)
    assert parking["zero_rate"] == round(9 / 11, 4)
    assert parking["name"] == "parkeervergunning"  # the most frequent raw form
    assert parking["variant_count"] == 2
    assert parking["first_seen"] == "2024-10-01T01:00:00Z"
    assert parking["topic"] == "parkeren"
    assert [rows[g]["trend"] for g in ("parkeervergunning", "paspoort", "afvalkalender", "wmo")] == [
        "rising", "new", "falling", "steady"]
    assert "zwembad" not in rows  # no zero-result searches known


def test_sorting_and_filters(service: ReviewService) -> None:
    zero_desc = service.groups(GroupFilter(window="7d", end=END))["groups"]
    assert [r["zero_results"] for r in zero_desc] == sorted((r["zero_results"] for r in zero_desc), reverse=True)
    by_name = service.groups(GroupFilter(window="7d", end=END, sort="name", descending=False))["groups"]
    assert [r["name"].lower() for r in by_name] == sorted(r["name"].lower() for r in by_name)
    burgerzaken = service.groups(GroupFilter(window="7d", end=END, topic="burgerzaken"))
    assert [r["group"] for r in burgerzaken["groups"]] == ["paspoort"]
    assert {"parkeren", "burgerzaken", "afval", "zorg"} <= set(burgerzaken["topics"])
    previous_week = service.groups(GroupFilter(window="7d", end=WEEK_START))["groups"]
    assert {r["group"] for r in previous_week} == {"parkeervergunning", "afvalkalender", "wmo"}


def test_mark_handled_keeps_note_and_leaves_open_list(service: ReviewService) -> None:
    service.set_status("afvalkalender", "handled", "  pagina /afvalkalender toegevoegd ", at=END)
    assert "afvalkalender" not in by_group(service)
    handled = by_group(service, status="handled")["afvalkalender"]
    assert handled["note"] == "pagina /afvalkalender toegevoegd"
    assert handled["handled_at"] == "2024-10-15T00:00:00Z"
    assert (handled["reopened"], handled["zero_since_handled"]) == (False, 0)
    service.set_status("wmo", "ignored", at=END)
    assert set(by_group(service, status="ignored")) == {"wmo"}
    service.set_status("wmo", "open", at=END + 1)
    assert "wmo" in by_group(service)


def test_handled_group_reopens_after_more_zero_results(service: ReviewService, store_path: Path) -> None:
    handled_at = WEEK_START + 2 * DAY
    service.set_status("afvalkalender", "handled", "synoniem toegevoegd", at=handled_at)
    store = SqliteStore(store_path)
    store.write(None, None, repeated("afval kalender", REOPEN_AFTER - 1, handled_at + 60, results=0))
    assert by_group(service, status="handled")["afvalkalender"]["zero_since_handled"] == REOPEN_AFTER - 1
    store.write(None, None, repeated("afvalkalender", 1, handled_at + 9000, results=0)
                + repeated("afvalkalender", 3, handled_at + 9999, results=4))
    store.close()
    row = by_group(service)["afvalkalender"]
    assert (row["status"], row["reopened"], row["zero_since_handled"]) == ("open", True, REOPEN_AFTER)
    assert row["note"] == "synoniem toegevoegd"


def test_ignored_group_does_not_reopen(service: ReviewService, store_path: Path) -> None:
    service.set_status("wmo", "ignored", at=WEEK_START)
    store = SqliteStore(store_path)
    store.write(None, None, repeated("wmo", 10, WEEK_START + 60, results=0))
    store.close()
    assert by_group(service, status="ignored")["wmo"]["reopened"] is False


def test_bad_decisions_are_refused(service: ReviewService) -> None:
    for group, status, note in [("", "handled", ""), ("wmo", "done", ""), ("wmo", "handled", "x" * 1001),
                                ("g" * 301, "open", "")]:
        with pytest.raises(ValueError):
            service.set_status(group, status, note)
    with pytest.raises(ValueError):
        service.groups(GroupFilter(sort="colour"))


def test_csv_rows(service: ReviewService) -> None:
    service.set_status("paspoort", "handled", "=zie pagina", at=END)
    text = service.csv_text(GroupFilter(window="7d", end=END, status="all"))
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == 5
    parking = next(r for r in rows if r["group"] == "parkeervergunning")
    assert (parking["name"], parking["zero_results"], parking["searches"], parking["trend"]) == (
        "parkeervergunning", "9", "11", "rising")
    assert parking["variants"] == "parkeervergunning (8); parkeer vergunning (3)"
    passport = next(r for r in rows if r["group"] == "paspoort")
    assert (passport["status"], passport["note"]) == ("handled", "'=zie pagina")
    formula = next(r for r in rows if "HYPERLINK" in r["name"])
    assert formula["name"] == "'=HYPERLINK(\"x\")"


def test_variants_of_a_group(service: ReviewService) -> None:
    result = service.variants("parkeervergunning", window="7d", end=END)
    assert [(v["text"], v["searches"], v["zero_results"]) for v in result["variants"]] == [
        ("parkeervergunning", 8, 6), ("parkeer vergunning", 3, 3)]


def test_empty_or_missing_store(tmp_path: Path) -> None:
    service = ReviewService(tmp_path / "absent.db")
    assert service.groups(GroupFilter())["groups"] == []
    assert service.variants("paspoort")["variants"] == []
    assert not (tmp_path / "absent.db").exists()


def test_display_name_is_most_frequent_raw_form(store_path: Path) -> None:
    store = SqliteStore(store_path)
    store.write(None, None, repeated("Parkeer vergunning", 3, WEEK_START, results=0)
                + repeated("parkeervergunnig", 2, WEEK_START + 500, results=0))
    store.close()
    assert by_group(ReviewService(store_path))["parkeervergunning"]["name"] == "Parkeer vergunning"


def test_trend_thresholds() -> None:
    assert classify_trend(5, 0, first_seen=100.0, period_start=50.0) == "new"
    assert classify_trend(6, 3, first_seen=0.0, period_start=50.0) == "rising"
    assert classify_trend(4, 2, first_seen=0.0, period_start=50.0) == "steady"  # doubled but only +2
    assert classify_trend(60, 100, first_seen=0.0, period_start=50.0) == "falling"
    assert classify_trend(80, 100, first_seen=0.0, period_start=50.0) == "steady"
    assert classify_trend(0, 3, first_seen=0.0, period_start=50.0) == "falling"


def test_periods_are_whole_days_anchored_at_the_newest_search() -> None:
    anchor = datetime(2024, 10, 14, 15, 30, tzinfo=timezone.utc).timestamp()
    period = search_period("7d", anchor)
    assert (period.start, period.end, period.previous_start) == (WEEK_START, END, PREV_START)
    assert parse_end_day("2024-10-14") == END
    with pytest.raises(ValueError):
        parse_end_day("14-10-2024")
    with pytest.raises(ValueError):
        search_period("2w", anchor)


def test_csv_safe() -> None:
    assert [csv_safe(v) for v in ["=1+1", "+31", "-x", "@a", "ok", 5]] == ["'=1+1", "'+31", "'-x", "'@a", "ok", 5]


def test_search_doc_fixture_groups_with_real_code() -> None:
    assert search_doc("parkeer vergunnig", END)["query"]["group"] == "parkeervergunning"
