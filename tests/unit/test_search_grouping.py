"""Search-query normalisation and grouping: variants share a key, near misses do not, keys are stable."""
from __future__ import annotations

import logging
import random

import pytest

from pipeline.bench.search import read_pairs, score_pairs
from pipeline.enrich.query.fuzzy import DeletionIndex, edit_distance
from pipeline.enrich.query.grouping import QueryGrouper, group_key, group_topic
from pipeline.enrich.query.normalise import canonical_spelling, content_tokens, fold
from pipeline.enrich.query.vocabulary import TOPIC_CODES, Vocabulary, load_vocabulary, parse_vocabulary
from pipeline.enrich.search_query import analyse_query, zero_result

SAME_GROUP = [
    ["parkeervergunning", "Parkeervergunning", "parkeer vergunning", "parkeervergunnig", "parkeervergunningen",
     "Parkeer-vergunning!", "PARKEERVERGUNNING", "parkeer-vergunnign"],
    ["paspoort", "pasport", "paspoorten", "Paspoort.", "pas poort"],
    ["rijbewijs", "rijbewijzen", "rybewijs", "rij bewijs"],
    ["identiteitskaart", "ID-kaart", "id kaart", "idkaart"],
    ["afvalkalender", "afval kalender", "Afvalkalender 2025", "afvalkallender"],
    ["paspoort aanvragen", "aanvraag paspoort", "Aanvragen pasport"],
    ["wat kost een paspoort", "paspoort kosten", "kosten paspoort"],
    ["café", "cafe", "CAFÉ"],
    ["coronavirus", "corona virus", "korona virus", "coronovirus"],
    ["rioolaansluiting", "riool aansluiting", "aansluiting riool"],
]
DIFFERENT = [
    ("paspoort", "parkeren"), ("paspoort", "pasfoto"), ("afval", "afvalkalender"), ("inschrijven", "uitschrijven"),
    ("verlichting", "verplichting"), ("huren", "buren"), ("woz", "wmo"), ("kapvergunning", "bouwvergunning"),
    ("paspoort", "paspoort aanvragen"), ("sloot", "sloop"), ("belasting", "beplanting"),
]


def test_fold_lowercases_strips_diacritics_and_punctuation() -> None:
    assert fold("  Parkeer-Vergunning?! ") == "parkeer vergunning"
    assert fold("Één café, één crème_brûlée") == "een cafe een creme brulee"
    assert fold("!!!") == ""


def test_stop_words_and_years_are_dropped_unless_nothing_remains() -> None:
    assert content_tokens("wat kost een paspoort in 2024") == ["kost", "paspoort"]
    assert content_tokens("wat is het") == ["wat", "is", "het"]


def test_canonical_spelling_folds_dutch_confusions() -> None:
    assert canonical_spelling("rijbewijs") == canonical_spelling("reibewijs") == canonical_spelling("rybewys")
    assert canonical_spelling("kontainer") == canonical_spelling("container")
    assert canonical_spelling("verhuisd") == "verhuist"
    assert canonical_spelling("parkeervergunnning") == canonical_spelling("parkeervergunning")


@pytest.mark.parametrize("variants", SAME_GROUP, ids=lambda v: v[0])
def test_variants_share_one_key(variants: list[str]) -> None:
    keys = {group_key(v) for v in variants}
    assert len(keys) == 1, {v: group_key(v) for v in variants}
    assert keys != {""}


@pytest.mark.parametrize("a,b", DIFFERENT)
def test_near_misses_stay_apart(a: str, b: str) -> None:
    assert group_key(a) != group_key(b)


def test_key_of_known_terms_is_readable_and_order_free() -> None:
    assert group_key("parkeer vergunnig") == "parkeervergunning"
    assert group_key("grofvuil ophalen") == group_key("ophalen grofvuil") == "grofvuil ophalen"


def test_keys_do_not_depend_on_arrival_order() -> None:
    queries = [v for group in SAME_GROUP for v in group] + [a for pair in DIFFERENT for a in pair]
    first = {q: QueryGrouper(load_vocabulary()).analyse(q)[1] for q in queries}
    shuffled = queries[:]
    random.Random(3).shuffle(shuffled)
    grouper = QueryGrouper(load_vocabulary())
    assert {q: grouper.analyse(q)[1] for q in shuffled} == first


def test_topics_come_from_the_vocabulary() -> None:
    assert group_topic(group_key("parkeervergunnig")) == "parkeren"
    assert group_topic(group_key("paspoort aanvragen")) == "burgerzaken"
    assert group_topic(group_key("openingstijden")) == "dienstverlening"
    assert group_topic(group_key("coronavirus")) is None


def test_empty_and_odd_input_never_crash() -> None:
    assert analyse_query("???", {}) == {"normalized": "", "group": "", "subject": "", "zero_result": None}
    odd = ["<script>alert(1)</script>", "😡😡", "a" * 5000, "\x00\x01", "12345", "ß ø æ"]
    for text in odd:
        result = analyse_query(text, {"results": 3})
        assert set(result) == {"normalized", "group", "subject", "zero_result"}
        assert result["zero_result"] is False


def test_zero_result_reads_counts() -> None:
    assert zero_result({"results": 0}) is True
    assert zero_result({"results": "0"}) is True
    assert zero_result({"results": 12}) is False
    assert zero_result({"results": True}) is None
    assert zero_result({}) is None


def test_analyse_query_shape() -> None:
    assert analyse_query("Parkeer vergunnig", {"results": 0}) == {
        "normalized": "parkeer vergunnig", "group": "parkeervergunning", "subject": "parkeervergunning",
        "zero_result": True}


def test_edit_distance_with_transpositions_and_limit() -> None:
    assert edit_distance("paspoort", "pasport") == 1
    assert edit_distance("vergunnign", "vergunning") == 1
    assert edit_distance("kitten", "sitting", limit=3) == 3
    assert edit_distance("paspoort", "parkeren", limit=2) == 3


def test_deletion_index_finds_near_forms() -> None:
    index = DeletionIndex(depth=2)
    index.add("paspoort", "paspoort")
    index.add("parkeren", "parkeren")
    assert [label for _, _, label in index.near("pasport", 1)] == ["paspoort"]
    assert index.near("pasport", 0) == []
    assert index.near("xyz", 2) == []


def test_shipped_vocabulary_is_clean() -> None:
    vocabulary = load_vocabulary()
    assert len(vocabulary.terms) > 250
    assert vocabulary.collisions() == {}
    assert {t.topic for t in vocabulary.terms.values() if t.topic} <= TOPIC_CODES


def test_bad_vocabulary_lines_are_logged_and_skipped(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.ERROR):
        terms = parse_vocabulary(["paspoort\tburgerzaken\tpasport", "kapot", "fiets\tfietsen\t", "\tafval\t"])
    assert [t.key for t in terms] == ["paspoort"]
    assert "unknown topic code" in caplog.text and "expected term" in caplog.text
    grouper = QueryGrouper(Vocabulary(terms))
    assert grouper.analyse("Pasport")[1] == "paspoort"


def test_labelled_pairs_meet_the_targets() -> None:
    pairs = read_pairs()
    assert len(pairs) >= 300
    assert ("paspoort", "parkeren", 0) in pairs
    score = score_pairs(pairs, QueryGrouper(load_vocabulary()))
    assert score.precision >= 0.90
    assert score.recall >= 0.90
