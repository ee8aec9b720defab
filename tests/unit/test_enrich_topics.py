"""Topic v1: the keyword/taxonomy model, its data file, compound matching and the TopicModel protocol."""
from __future__ import annotations

import json
from importlib import resources

import pytest

from pipeline.enrich.topics import TOPIC_CODES, KeywordTopicModel, Taxonomy, TopicModel

TOPIC_CASES = {
    "afval": ["Het grofvuil is niet opgehaald", "De ondergrondse container zit vol",
              "Wanneer komt de vuilniswagen in onze straat?", "Mijn kliko is kapot, kan ik een nieuwe krijgen?",
              "Overal zwerfvuil bij het winkelcentrum"],
    "verkeer": ["Door de wegwerkzaamheden is de weg afgesloten", "De omleiding is slecht aangegeven",
                "Auto's rijden veel te hard in onze straat, er moet een drempel komen",
                "Het stoplicht op het kruispunt staat steeds op rood"],
    "parkeren": ["Hoe vraag ik een parkeervergunning aan?", "Ik heb een parkeerboete gekregen terwijl ik betaald had",
                 "Er staan steeds auto's op de stoep geparkeerd", "De parkeerautomaat bij het station werkt niet"],
    "openbare_ruimte": ["De lantaarnpaal voor mijn huis brandt niet",
                        "Losse stoeptegels voor de deur, ik ben bijna gestruikeld",
                        "Het gras in het park is al weken niet gemaaid",
                        "Het riool is verstopt en er staat water op straat", "De schommel in de speeltuin is kapot"],
    "overlast": ["De buren maken elke nacht herrie", "Vuurwerkoverlast in de wijk al dagen voor oud en nieuw",
                 "Hangjongeren bij het winkelcentrum intimideren voorbijgangers",
                 "Er lopen ratten rond bij de containers van de snackbar",
                 "Geluidsoverlast van het café tot diep in de nacht"],
    "burgerzaken": ["Mijn paspoort is verlopen, hoe maak ik een afspraak?", "Ik wil mijn rijbewijs verlengen",
                    "Verhuizing doorgeven aan de gemeente", "Ik heb een uittreksel uit de BRP nodig",
                    "Waar haal ik mijn stempas op?"],
    "belastingen": ["De WOZ-waarde van mijn huis is te hoog", "Vraag over de aanslag gemeentelijke belastingen",
                    "Kan ik kwijtschelding krijgen voor de afvalstoffenheffing?",
                    "Ik wil de hondenbelasting in termijnen betalen"],
    "vergunningen": ["Heb ik een omgevingsvergunning nodig voor een dakkapel?",
                     "Ik wil bezwaar maken tegen de bouwvergunning van de buren",
                     "Aanvraag evenementenvergunning voor ons straatfeest",
                     "Mag ik zonder vergunning een schutting plaatsen?"],
    "zorg": ["Ik heb hulp nodig via de WMO", "Aanvraag voor een scootmobiel", "Vraag over jeugdzorg voor mijn zoon",
             "Mijn moeder heeft huishoudelijke hulp nodig", "Hoe krijg ik het mantelzorgcompliment?"],
    "werk_inkomen": ["Mijn bijstandsuitkering is niet overgemaakt", "Ik zoek werk en wil hulp bij re-integratie",
                     "Ik heb schulden en zoek schuldhulpverlening", "Kom ik in aanmerking voor de energietoeslag?"],
    "dienstverlening": ["Ik ben nog steeds niet teruggebeld", "Lange wachttijd aan de telefoon",
                        "Ik kon het niet vinden op de website", "Geen reactie gehad op mijn mail",
                        "Het formulier op de site werkt niet"],
    "overig": ["Mooi weer vandaag", "Wie gaat er vanavond naar het concert?", "Hallo allemaal"],
}


@pytest.fixture(scope="module")
def model() -> KeywordTopicModel:
    return KeywordTopicModel()


@pytest.mark.parametrize("code, text", [(code, text) for code, texts in TOPIC_CASES.items() for text in texts])
def test_topic_per_code(model: KeywordTopicModel, code: str, text: str) -> None:
    assert model.analyse(text).ranked[0][0] == code


def test_every_code_has_at_least_three_cases() -> None:
    assert set(TOPIC_CASES) == set(TOPIC_CODES)
    assert all(len(texts) >= 3 for texts in TOPIC_CASES.values())


def test_taxonomy_file_has_the_fixed_codes_labels_and_hundreds_of_keywords() -> None:
    document = json.loads(resources.files("pipeline.enrich").joinpath("data", "taxonomy.json").read_text("utf-8"))
    codes = [t["code"] for t in document["topics"]]
    assert codes == list(TOPIC_CODES)
    total = 0
    for topic in document["topics"]:
        assert topic["label"] and topic["description"]
        sub_codes = [s["code"] for s in topic["subtopics"]]
        assert len(sub_codes) == len(set(sub_codes))
        total += len(topic["keywords"]) + sum(len(s["keywords"]) for s in topic["subtopics"])
        if topic["code"] != "overig":
            assert topic["subtopics"], topic["code"]
    assert total >= 500


def test_compound_words_match_on_their_parts(model: KeywordTopicModel) -> None:
    # None of these compounds is itself a taxonomy keyword.
    taxonomy = model.taxonomy
    for word in ("parkeervergunningaanvraag", "afvalcontainerpasje", "geluidsoverlastmelding", "lantaarnpaalstoring"):
        assert word not in taxonomy.by_stem and word not in taxonomy.exact
    assert model.analyse("parkeervergunningaanvraag").ranked[0][0] == "parkeren"
    assert model.analyse("afvalcontainerpasje").ranked[0][0] == "afval"
    assert model.analyse("geluidsoverlastmelding").ranked[0][0] == "overlast"
    assert model.analyse("lantaarnpaalstoring").ranked[0][0] == "openbare_ruimte"


def test_parkeervergunningen_is_parkeren_not_vergunningen(model: KeywordTopicModel) -> None:
    result = model.analyse("parkeervergunningen")
    assert result.ranked[0][0] == "parkeren"
    assert result.subtopic is not None and result.subtopic.code == "parkeervergunning"


def test_compound_written_as_two_words(model: KeywordTopicModel) -> None:
    assert model.analyse("parkeer vergunning").ranked[0][0] == "parkeren"


def test_compound_exceptions_and_short_remainders_do_not_match(model: KeywordTopicModel) -> None:
    assert model.analyse("verkeerde informatie gekregen").ranked[0][0] == "overig"
    assert model.analyse("groenten en fruit").ranked[0][0] == "overig"


def test_hashtags_count_as_words(model: KeywordTopicModel) -> None:
    assert model.analyse("#wegwerkzaamheden #zeist").ranked[0][0] == "verkeer"


def test_confidence_grows_with_evidence_and_stays_in_range(model: KeywordTopicModel) -> None:
    one = model.analyse("container").ranked[0][2]
    three = model.analyse("container vol, kliko niet geleegd, grofvuil").ranked[0][2]
    assert 0 < one < three <= 1


def test_competing_topics_lower_confidence_and_rank_top_three(model: KeywordTopicModel) -> None:
    ranked = model.analyse("paspoort, parkeervergunning, WOZ en kliko").ranked
    assert len(ranked) == 3
    confidences = [c for _, _, c in ranked]
    assert confidences == sorted(confidences, reverse=True)
    focused = model.analyse("paspoort, rijbewijs, uittreksel en stempas").ranked
    assert focused[0][0] == "burgerzaken"
    assert ranked[0][2] < focused[0][2]


def test_no_keyword_gives_overig_with_low_confidence(model: KeywordTopicModel) -> None:
    ranked = model.analyse("hallo daar").ranked
    assert ranked == [("overig", "Overig", 0.1)]


def test_subtopic_and_positions(model: KeywordTopicModel) -> None:
    result = model.analyse("de lantaarnpaal brandt niet")
    assert result.subtopic is not None and result.subtopic.code == "straatverlichting"
    assert 1 in result.positions


def test_exact_keywords_do_not_match_other_words_with_the_same_stem(model: KeywordTopicModel) -> None:
    # "gaat" and "gat" share a Dutch stem; the taxonomy pins "gat" to the exact word.
    assert model.analyse("hij gaat naar huis").ranked[0][0] == "overig"
    assert model.analyse("een gat in de weg").ranked[0][0] in ("openbare_ruimte", "verkeer")


def test_predict_follows_the_protocol(model: KeywordTopicModel) -> None:
    assert isinstance(model, TopicModel)
    out = model.predict(["grofvuil ophalen", "paspoort verlengen", ""])
    assert [r[0][0] for r in out] == ["afval", "burgerzaken", "overig"]
    for ranking in out:
        for code, label, prob in ranking:
            assert isinstance(code, str) and isinstance(label, str) and 0.0 <= prob <= 1.0


def test_custom_taxonomy() -> None:
    taxonomy = Taxonomy({"version": "test-1", "topics": [
        {"code": "markt", "label": "Markt", "keywords": ["marktkraam", "warenmarkt"],
         "subtopics": [{"code": "kraam", "label": "Kraam", "keywords": ["standplaats"]}]}]})
    model = KeywordTopicModel(taxonomy)
    assert model.version == "test-1"
    assert model.analyse("standplaats op de warenmarkt").ranked[0][0] == "markt"
    assert model.analyse("iets anders").ranked[0][0] == "overig"


def test_malformed_taxonomy_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="topic 0"):
        Taxonomy({"topics": [{"label": "Zonder code"}]})
    with pytest.raises(ValueError, match="subtopic 0 of topic 'x'"):
        Taxonomy({"topics": [{"code": "x", "label": "X", "subtopics": [{"code": "y"}]}]})


def test_a_wrongly_issued_parking_fine_is_parkeren_and_ten_is_no_keyword(model: KeywordTopicModel) -> None:
    from pipeline.enrich.keywords import KeywordExtractor
    from pipeline.enrich.text import clean_text, tokenize

    for text in ("kenteken [kenteken] ten onrechte beboet", "Ik ben bekeurd terwijl ik een vergunning heb",
                 "Auto met kenteken XX-11-YY is onterecht beboet, ter info"):
        analysis = model.analyse(text)
        assert analysis.ranked[0][0] == "parkeren", (text, analysis.ranked)
        keywords = KeywordExtractor().extract(tokenize(clean_text(text)), analysis.positions)
        assert "ten" not in keywords and "ter" not in keywords, keywords
        assert any(k in keywords for k in ("beboet", "bekeurd")), keywords
