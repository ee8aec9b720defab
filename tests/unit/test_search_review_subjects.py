"""The review's subject level: groups rolled up onto their subject, totals, order, and labels people typed."""
from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import pytest

from fakes.search_fixtures import repeated
from pipeline.apps.webteam.periods import DAY
from pipeline.apps.webteam.review import GroupFilter, ReviewService
from pipeline.enrich.query.grouping import group_key, group_subject
from pipeline.sinks.sqlite.store import SqliteStore, connect

END = datetime(2024, 10, 15, tzinfo=timezone.utc).timestamp()
WEEK_START = END - 7 * DAY


@pytest.fixture
def service(store_path: Path) -> ReviewService:
    """A store with qualified passport needs, an asbestos need typed with unknown words, and a lone group."""
    docs = (repeated("paspoort aanvragen", 3, WEEK_START + 100)
            + repeated("Paspoort aanvragen", 1, WEEK_START + 400)
            + repeated("paspoort spoed zaterdag", 2, WEEK_START + 200)
            + repeated("verlopen paspoort", 1, WEEK_START + 300)
            + repeated("Paspoort", 2, WEEK_START + 500, results=4)          # found results: labels only
            + repeated("asbest wegbrengen particulier", 2, WEEK_START + 600)
            + repeated("asbest weg brengen particulier", 1, WEEK_START + 650)
            + repeated("afvalkalender", 5, WEEK_START + 700))
    store = SqliteStore(store_path)
    store.write(None, None, docs)
    store.close()
    return ReviewService(store_path)


def test_groups_roll_up_onto_their_subject_with_totals(service: ReviewService) -> None:
    result = service.groups(GroupFilter(window="7d", end=END))
    subjects = {s["subject"]: s for s in result["subjects"]}
    passport = subjects[group_key("paspoort")]
    assert sorted(passport["groups"]) == sorted({group_key(q) for q in (
        "paspoort aanvragen", "paspoort spoed zaterdag", "verlopen paspoort")})
    assert (passport["zero_results"], passport["searches"], passport["open_groups"]) == (7, 7, 3)
    assert passport["name"] == "Paspoort"    # as typed: the bare subject was searched as "Paspoort"
    assert passport["topic"] == "burgerzaken"
    assert subjects["afvalkalender"]["groups"] == ["afvalkalender"]
    listed = [g for s in result["subjects"] for g in s["groups"]]
    assert sorted(listed) == sorted(row["group"] for row in result["groups"])


def test_subjects_follow_the_sort_and_groups_keep_their_order(service: ReviewService) -> None:
    result = service.groups(GroupFilter(window="7d", end=END))
    assert [s["zero_results"] for s in result["subjects"]] == [7, 5, 3]
    order = [row["group"] for row in result["groups"]]
    for subject in result["subjects"]:
        assert subject["groups"] == sorted(subject["groups"], key=order.index)
    by_name = service.groups(GroupFilter(window="7d", end=END, sort="name", descending=False))["subjects"]
    assert [s["name"] for s in by_name] == ["afvalkalender", "asbest", "Paspoort"]


def test_labels_are_words_people_typed_never_internal_keys(service: ReviewService) -> None:
    result = service.groups(GroupFilter(window="7d", end=END, status="all"))
    asbestos = next(row for row in result["groups"] if row["subject_name"] == "asbest")
    assert asbestos["group"] != asbestos["name"]                  # the key holds a consonant skeleton
    assert asbestos["name"] == "asbest wegbrengen particulier"    # most frequent typed form
    typed = {q.strip() for q in ("paspoort aanvragen", "paspoort spoed zaterdag", "verlopen paspoort",
                                 "asbest wegbrengen particulier", "afvalkalender")}
    assert {row["name"] for row in result["groups"]} == typed
    csv_text = service.csv_text(GroupFilter(window="7d", end=END))
    assert "asbest wegbrengen particulier" in csv_text and ",asbest," in csv_text


def test_a_topic_filter_keeps_whole_subjects_consistent(service: ReviewService) -> None:
    result = service.groups(GroupFilter(window="7d", end=END, topic="afval"))
    assert {s["subject"] for s in result["subjects"]} <= {"afvalkalender", "asbest"}
    assert sum(s["zero_results"] for s in result["subjects"]) == sum(r["zero_results"] for r in result["groups"])


def test_the_store_keeps_each_searchs_subject_in_its_document(service: ReviewService) -> None:
    conn = connect(service.store_path, readonly=True)
    try:
        rows = conn.execute("SELECT query_group, doc FROM signals WHERE channel = 'site_search'").fetchall()
    finally:
        conn.close()
    subjects = {json.loads(doc)["query"]["subject"] for _, doc in rows}
    assert group_key("paspoort") in subjects and "asbest" in subjects
    assert all(json.loads(doc)["query"]["subject"] == group_subject(group) for group, doc in rows)
