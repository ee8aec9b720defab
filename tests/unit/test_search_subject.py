"""Subject roll-up of search groups: qualified needs land on the group of their bare subject, others stay apart."""
from __future__ import annotations

import pytest

from pipeline.enrich.query.grouping import QueryGrouper, group_key, group_subject, subject_words
from pipeline.enrich.query.vocabulary import load_vocabulary, parse_vocabulary
from pipeline.enrich.search_query import analyse_query

# (bare subject as typed, qualified needs that must roll up onto it)
ROLL_UP = [
    ("paspoort", ["paspoort aanvragen", "paspoort spoed zaterdag", "verlopen paspoort", "Pasport kwijt",
                  "wat kost een paspoort", "paspoort verlengen", "paspoort gestolen aangifte"]),
    ("rijbewijs", ["rijbewijs verlengen kosten", "rijbewijs verlopen", "rybewijs ophalen"]),
    ("grofvuil", ["grofvuil ophalen", "grof vuil afspraak annuleren", "grofvuil zaterdag"]),
    ("parkeervergunning", ["parkeervergunning aanvragen", "parkeer vergunning wijzigen", "parkeervergunning online"]),
    ("hondenbelasting", ["hondenbelasting betalen", "hondenbelasting opzeggen"]),
    ("dakkapel", ["vergunning dakkapel", "dakkapel vergunning aanvragen"]),
    ("kliko", ["kliko kapot", "kliko stuk melden"]),
    ("zwemles", ["zwemles aanvragen", "zwemles kosten"]),
]
# Needs with different subjects: never one subject.
APART = [("paspoort aanvragen", "rijbewijs aanvragen"), ("afvalkalender", "afval"), ("kapvergunning", "bouwvergunning"),
         ("paspoort kosten", "parkeervergunning kosten"), ("zwemles aanvragen", "zwembad openingstijden"),
         ("verlopen paspoort", "verlopen identiteitskaart"), ("sport park", "paspoort spoed")]


@pytest.mark.parametrize("bare,qualified", ROLL_UP, ids=lambda v: v if isinstance(v, str) else "")
def test_qualified_needs_roll_up_onto_the_bare_subject(bare: str, qualified: list[str]) -> None:
    subject = group_key(bare)
    assert group_subject(subject) == subject
    for query in qualified:
        assert group_key(query) != subject, query
        assert group_subject(group_key(query)) == subject, (query, group_key(query))


@pytest.mark.parametrize("a,b", APART)
def test_different_subjects_stay_apart(a: str, b: str) -> None:
    assert group_subject(group_key(a)) != group_subject(group_key(b))


def test_subject_is_a_function_of_the_group_key() -> None:
    queries = [q for _, qs in ROLL_UP for q in qs]
    grouper = QueryGrouper(load_vocabulary())
    for query in queries:
        key = grouper.analyse(query)[1]
        assert grouper.subject(key) == group_subject(key)
        assert analyse_query(query, {})["subject"] == grouper.subject(key)


def test_only_qualifiers_keep_the_whole_key() -> None:
    assert group_subject(group_key("kosten")) == group_key("kosten")
    assert group_subject(group_key("spoed aanvragen")) == group_key("spoed aanvragen")
    assert group_subject("") == ""


def test_broad_terms_give_way_to_a_specific_subject() -> None:
    vocabulary = load_vocabulary()
    assert {"afval", "vergunning", "belasting"} <= vocabulary.broad
    assert "paspoort" not in vocabulary.broad
    assert group_subject(group_key("vergunning dakkapel")) == group_key("dakkapel")
    assert group_subject(group_key("afval")) == "afval"


def test_unknown_words_beside_a_subject_term_do_not_change_the_subject() -> None:
    assert group_subject(group_key("paspoort bij de balie halen xyzzy")) == "paspoort"


def test_subject_words_are_the_typed_words_of_the_subject() -> None:
    assert subject_words("Verlopen paspoort") == "paspoort"
    assert subject_words("paspoort spoed zaterdag") == "paspoort"
    assert subject_words("id kaart aanvragen") == "id kaart"
    assert subject_words("zwemles aanvragen") == "zwemles"
    assert subject_words("kosten") == "kosten"


def test_a_facet_without_topic_parses_and_names_no_topic() -> None:
    terms = parse_vocabulary(["spoed\tfacet:-\tmet spoed", "paspoort\tburgerzaken\tpasport"])
    assert [(t.key, t.topic, t.facet) for t in terms] == [("spoed", "", True), ("paspoort", "burgerzaken", False)]


def test_words_beside_a_broad_term_name_the_subject_with_it() -> None:
    assert group_subject(group_key("cultuursubsidie")) != group_subject(group_key("sportsubsidie"))
    assert group_subject(group_key("cultuur subsidie aanvragen")) == group_subject(group_key("cultuursubsidie"))
    assert group_subject(group_key("subsidie kosten")) == group_key("subsidie")
    terms = parse_vocabulary(["subsidie\tbroad:overig\tsubsidies"])
    assert terms[0].broad and terms[0].topic == "overig" and not terms[0].facet


def test_subject_pairs_file_scores_high() -> None:
    from pipeline.bench.search import read_pairs, score_pairs
    from pipeline.bench.search_subjects import SUBJECT_PAIRS_PATH

    grouper = QueryGrouper(load_vocabulary())
    score = score_pairs(read_pairs(SUBJECT_PAIRS_PATH), grouper, grouper.subject_of)
    assert score.true_pos + score.false_neg >= 90 and score.true_neg + score.false_pos >= 40
    assert score.precision >= 0.9 and score.recall >= 0.9, score.misses
