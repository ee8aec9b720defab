"""Generic words out of the advisers' terms: the team's stop list at extraction, topic spread in the store."""
from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest

from pipeline.apps.advisers import queries as dq
from pipeline.apps.advisers.generic_terms import MIN_COUNT, generic_terms, is_spread
from pipeline.bench.synthetic_signals import enriched_doc
from pipeline.enrich import Enricher
from pipeline.sinks.sqlite.advisers import Dossier, ensure_schema
from pipeline.sinks.sqlite.store import SqliteStore, connect

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=timezone.utc).timestamp()
H = 3_600.0
TOPICS = ("afval", "verkeer", "parkeren", "openbare_ruimte", "overlast")
GENERIC = ["geldt", "fijn", "duidelijk", "aangegeven", "doorgezet", "uitgelegd", "teruggebeld", "mw", "dhr", "ten",
           "onrechte", "melding", "staat", "ligt"]
TEXTS = [
    "Kenteken XX-123-Y ten onrechte beboet in de blauwe zone, parkeerschijf lag gewoon achter de ruit",
    "Mw belt over de ondergrondse container die vol zit. Uitgelegd dat de melding is doorgezet naar team afval.",
    "Dhr teruggebeld: heeft aangegeven dat de lantaarnpaal nog steeds kapot is, duidelijk gemaakt dat het geldt "
    "voor de hele straat",
    "Fijn dat de gladheid zo snel is bestreden, strooiwagen was er ter plaatse binnen een uur",
]


@pytest.fixture(scope="module")
def enricher() -> Enricher:
    """One enricher for the module."""
    return Enricher()


def test_generic_words_and_call_note_jargon_are_never_keywords(enricher: Enricher) -> None:
    raws = [{"id": f"call_note:{i}", "channel": "call_note", "created_at": "2026-03-02T10:00:00+00:00", "text": t}
            for i, t in enumerate(TEXTS)]
    docs = enricher.enrich_many(raws)
    keywords = [k for doc in docs for k in doc["keywords"]]
    assert not set(keywords) & set(GENERIC), keywords
    assert {"beboet", "container", "lantaarnpaal", "gladheid"} <= set(keywords)


def test_ten_is_never_a_keyword(enricher: Enricher) -> None:
    for text in ("ten onrechte", "Ten eerste ten tweede ten derde", "TEN", "ten ten ten ten"):
        doc = enricher.enrich_many([{"id": "twitter:1", "channel": "twitter", "created_at": "2026-03-02T10:00:00+00:00",
                                     "text": text}])[0]
        assert "ten" not in doc["keywords"]


def test_spread_needs_enough_signals_many_topics_and_no_dominant_one() -> None:
    even = {topic: 6 for topic in TOPICS}
    assert is_spread(even)
    assert not is_spread({"afval": 25, "verkeer": 5, "parkeren": 5, "overlast": 5})    # afval holds over half
    assert not is_spread({"afval": 10, "verkeer": 10, "parkeren": 10})                  # three topics only
    assert not is_spread({topic: (MIN_COUNT - 1) // 5 for topic in TOPICS})            # too few to judge


def build(path: Path) -> list[dict]:
    """A store where 'naast' falls evenly in five topics (this day and, less often, a week before), 'storm' evenly
    too but only now, 'container' mostly in afval, 'slotlaan' in verkeer."""
    docs = []
    for i in range(40):
        topic = TOPICS[i % len(TOPICS)]
        keywords = ["naast", "storm"] + (["container"] if topic == "afval" or i % 10 == 1 else []) + (
            ["slotlaan"] if topic == "verkeer" else [])
        docs.append(enriched_doc(f"twitter:{i}", T0 - (i + 1) * 0.5 * H, f"bericht {i} over de storm", topic=topic,
                                 keywords=keywords))
    for i in range(25):
        docs.append(enriched_doc(f"facebook:{i}", T0 - 7 * 24 * H - (i + 1) * 0.5 * H, f"eerder {i}",
                                 topic=TOPICS[i % len(TOPICS)], keywords=["naast"]))
    store = SqliteStore(path)
    store.write(None, None, docs)
    assert ensure_schema(path, "@gemeente")
    store.close()
    return docs


def test_spread_terms_leave_dossier_terms_and_whats_new(store_path: Path) -> None:
    build(store_path)
    conn = connect(store_path, readonly=True)
    try:
        assert generic_terms(conn, ["naast", "container", "slotlaan"], T0 - 48 * H, T0) == {"naast"}
        dossier = Dossier(name="Alles", keywords=(), topics=(), start=T0 - 48 * H, end=T0)
        terms = [t["term"] for t in dq.dossier_terms(conn, dossier, T0 - 48 * H, T0)]
        assert "naast" not in terms and "storm" not in terms and {"container", "slotlaan"} <= set(terms)
        new = [t["key"] for t in dq.whats_new(conn, hours=24, min_count=3, end=T0)["terms"]]
        assert "naast" not in new and "container" in new
        assert "storm" in new          # spread over topics too, but new: a sharp rise is never generic
    finally:
        conn.close()


def test_a_dossiers_own_keyword_is_never_left_out(store_path: Path) -> None:
    build(store_path)
    conn = connect(store_path, readonly=True)
    try:
        dossier = Dossier(name="Storm", keywords=("Storm",), topics=(), start=T0 - 48 * H, end=T0)
        terms = [t["term"] for t in dq.dossier_terms(conn, dossier, T0 - 48 * H, T0)]
        assert "storm" in terms and "naast" not in terms
    finally:
        conn.close()
