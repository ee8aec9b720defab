"""The bundled starter topic model: the enricher's protocol, needs_review, corpus provenance and Katwijk mapping."""
from __future__ import annotations

import csv
import json
from datetime import UTC, datetime

import pytest

from pipeline.core.signal import RawSignal
from pipeline.models.corpus_builder import TOPIC_CODES, build_topic_corpus, corpus_dir
from pipeline.models.model_dir import read_metadata
from pipeline.models.starter import load_starter_topic_model, starter_topic_dir
from pipeline.models.taxonomy_mapping import KATWIJK, SIGNALEN_MAIN
from pipeline.models.topic_model import TrainedTopicModel

CLEAR = {
    "De groene kliko is deze week weer niet geleegd": "afval",
    "mw belt, paspoort kwijt, wil afspraak": "burgerzaken",
    "parkeervergunning aanvragen": "parkeren",
    "De lantaarnpaal op de hoek brandt al dagen niet": "openbare_ruimte",
    "Bezwaar maken tegen de WOZ-waarde van mijn huis": "belastingen",
    "Al een uur in de wacht bij jullie klantcontactcentrum": "dienstverlening",
}
AMBIGUOUS = ["Hallo, ik heb een vraag", "ok", "Zie bijlage"]
CALL_NOTES = {
    "mw belt, container bij de flat zit vol": "afval",
    "dhr meldt dat de lantaarnpaal voor zijn huis niet brandt": "openbare_ruimte",
    "mvr belt, bestrating voor de deur ligt los": "openbare_ruimte",
    "auto staat al weken op de stoep geparkeerd": "parkeren",
    "buren draaien elke nacht harde muziek": "overlast",
    "verkeerslicht op de kruising springt niet op groen": "verkeer",
    "dhr wil een afspraak voor een nieuw paspoort": "burgerzaken",
    "mw vraagt hoe ze een vergunning voor een dakkapel aanvraagt": "vergunningen",
}
# How the contact centre handled a call says nothing about its subject.
HANDLING = ["Doorgezet naar de buitendienst.", "Uitgelegd hoe het verder gaat.",
            "Melding aangemaakt, mw wordt teruggebeld.", "Afgehandeld aan de tel.", "Dhr wil graag contact."]


@pytest.fixture(scope="module")
def starter() -> TrainedTopicModel:
    """The bundled starter topic model."""
    return load_starter_topic_model()


def test_starter_covers_the_fixed_codes_and_ranks_probabilities(starter: TrainedTopicModel) -> None:
    assert sorted(starter.codes) == sorted(TOPIC_CODES)
    ranked = starter.predict(list(CLEAR))
    assert [r[0][0] for r in ranked] == list(CLEAR.values())
    for ranking in ranked:
        assert len(ranking) == 3
        assert ranking[0][2] >= ranking[1][2] >= ranking[2][2]
        assert all(0.0 <= p <= 1.0 for _, _, p in ranking)
    assert ranked[0][0][1] == "Afval"  # the Dutch label from the taxonomy


def test_call_handling_words_do_not_change_a_call_notes_topic(starter: TrainedTopicModel) -> None:
    notes = list(CALL_NOTES)
    texts = notes + [f"{note}. {tail}" for note in notes for tail in HANDLING]
    codes, _ = starter.classify(texts)
    assert codes[:len(notes)] == list(CALL_NOTES.values())
    for i, note in enumerate(notes):
        got = codes[len(notes) + i * len(HANDLING):len(notes) + (i + 1) * len(HANDLING)]
        assert got == [CALL_NOTES[note]] * len(HANDLING), (note, got)


def test_needs_review_is_set_for_ambiguous_text_only(starter: TrainedTopicModel) -> None:
    from pipeline.core.settings import Settings
    from pipeline.enrich import Enricher

    enricher = Enricher(Settings(), topic_model=starter)
    now = datetime(2024, 6, 1, tzinfo=UTC)
    texts = AMBIGUOUS + list(CLEAR)
    docs = enricher.enrich_many([RawSignal(f"twitter:{i}", "twitter", now, t) for i, t in enumerate(texts)])
    for doc, text in zip(docs, texts):
        expected = text in AMBIGUOUS
        assert doc["needs_review"] is expected, (text, doc["topic"])
        assert (doc["topic"]["confidence"] < 0.4) is expected
    assert docs[-1]["model_version"] == read_metadata(starter_topic_dir())["version"]


def test_corpus_on_disk_is_what_the_builder_makes_and_is_large_enough() -> None:
    with open(corpus_dir() / "topics.csv", encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    rebuilt = build_topic_corpus()
    assert [(r["label"], r["channel"], r["text"]) for r in rows] == [(r.label, r.channel, r.text) for r in rebuilt]
    for code in TOPIC_CODES:
        mine = [r for r in rows if r["label"] == code]
        assert len(mine) >= 300, code
        assert {"twitter", "facebook", "call_note", "site_search"} <= {r["channel"] for r in mine}, code


def test_mappings_only_use_our_codes() -> None:
    for table in (KATWIJK, SIGNALEN_MAIN):
        for mapping in table.values():
            assert mapping.primary in TOPIC_CODES
            assert set(mapping.also) <= set(TOPIC_CODES)
    assert len(SIGNALEN_MAIN) == 9


def test_taxonomy_extra_lists_every_code_with_descriptions_and_phrasings() -> None:
    extra = json.loads((corpus_dir().parent / "taxonomy_extra.json").read_text(encoding="utf-8"))
    topics = {t["code"]: t for t in extra["topics"]}
    assert sorted(topics) == sorted(TOPIC_CODES)
    for topic in topics.values():
        assert topic["subtopics"]
        for sub in topic["subtopics"]:
            assert sub["description"] and len(sub["phrasings"]) >= 3


def test_katwijk_labels_are_all_mapped_and_corpus_shares_no_text_with_it(shared_data) -> None:
    path = shared_data / "katwijk" / "meldingen_2024_dev.csv"
    with open(path, encoding="utf-8", newline="") as handle:
        katwijk = list(csv.DictReader(handle))
    assert {r["label"] for r in katwijk} <= set(KATWIJK)
    with open(corpus_dir() / "topics.csv", encoding="utf-8", newline="") as handle:
        ours = {r["text"].strip().lower() for r in csv.DictReader(handle)}
    theirs = {r["text"].strip().lower() for r in katwijk}
    assert not (ours & {t for t in theirs if len(t) > 25})
