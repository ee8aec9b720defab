"""Language, places, keywords, pseudonyms and tokenising: the smaller enrichment steps."""
from __future__ import annotations

import re

import pytest

from pipeline.core.settings import Settings
from pipeline.enrich.keywords import KeywordExtractor
from pipeline.enrich.language import LanguageDetector
from pipeline.enrich.pii.pseudonym import Pseudonymiser, pseudonymise
from pipeline.enrich.places import PlaceFinder, bundled_streets
from pipeline.enrich.text import clean_text, stem, tokenize


@pytest.fixture(scope="module")
def detector() -> LanguageDetector:
    return LanguageDetector()


@pytest.mark.parametrize("text, language", [
    ("Wanneer wordt het grofvuil bij ons in de straat opgehaald?", "nl"),
    ("Ik heb al twee keer gebeld maar niemand neemt op", "nl"),
    ("When will the garbage be collected in our street? It has been two weeks", "en"),
    ("Thanks for fixing the street lights so quickly, much appreciated", "en"),
    ("Wann wird der Müll abgeholt? Die Tonne ist schon voll und es stinkt sehr", "other"),
    ("Bonjour, pourquoi la rue est fermée depuis une semaine? Merci pour la réponse", "other"),
    ("Когда вывезут мусор с нашей улицы пожалуйста ответьте", "other"),
])
def test_language(detector: LanguageDetector, text: str, language: str) -> None:
    assert detector.detect(tokenize(text)) == language


@pytest.mark.parametrize("text", ["paspoort", "parking", "the", "WOZ", "hello"])
def test_short_texts_default_to_dutch(detector: LanguageDetector, text: str) -> None:
    assert detector.detect(tokenize(text)) == "nl"


def test_site_searches_are_dutch_unless_clearly_english(detector: LanguageDetector) -> None:
    assert detector.detect(tokenize("rijbewijs verlengen kosten"), site_search=True) == "nl"
    assert detector.detect(tokenize("how to apply for a parking permit"), site_search=True) == "en"
    assert detector.detect(tokenize("parking permit"), site_search=True) == "en"
    assert detector.detect(tokenize("parkeren in de wijk"), site_search=True) == "nl"


@pytest.fixture(scope="module")
def places() -> PlaceFinder:
    settings = Settings()
    return PlaceFinder(settings.neighbourhoods, bundled_streets(settings.municipality))


@pytest.mark.parametrize("text, place", [
    ("Overlast in Kerckebosch vannacht", "Kerckebosch"),
    ("wegwerkzaamheden in den dolder", "Den Dolder"),
    ("Afsluiting op de Slotlaan", "Centrum"),
    ("kapotte lantaarnpaal Laan van Vollenhove", "Vollenhove"),
    ("grofvuil in Huis ter Heide", "Huis ter Heide"),
    ("#dendolder weer afgesloten", "Den Dolder"),
    ("niets over een wijk hier", None),
    ("de slot van de deur", None),
])
def test_place_in_text(places: PlaceFinder, text: str, place: str | None) -> None:
    assert places.find(tokenize(text)) == place


def test_place_from_meta_wins_and_is_canonicalised(places: PlaceFinder) -> None:
    assert places.find(tokenize("Slotlaan"), {"neighbourhood": "den dolder"}) == "Den Dolder"
    assert places.find(tokenize("iets"), {"neighbourhood": "Nieuwe Wijk"}) == "Nieuwe Wijk"
    assert places.find(tokenize("Slotlaan"), {"neighbourhood": 42}) == "Centrum"
    assert places.find_in_text("niets", {"neighbourhood": "  "}) is None


def test_streets_are_per_municipality() -> None:
    assert "Centrum" in bundled_streets("zeist")
    assert bundled_streets("Elders") == {}
    finder = PlaceFinder(["Noord", "Zuid"], {"Noord": ["Dorpsstraat"]})
    assert finder.find(tokenize("gat in de dorpsstraat")) == "Noord"
    assert finder.find(tokenize("Slotlaan")) is None


def test_keywords_skip_stop_words_placeholders_mentions_and_short_words() -> None:
    extractor = KeywordExtractor(["zeist"])
    tokens = tokenize("@gemeentezeist de #Wegwerkzaamheden op de Slotlaan in Zeist duren lang, bel [telefoon] ok https://x.nl")
    keywords = extractor.extract(tokens)
    assert keywords == ["wegwerkzaamheden", "slotlaan", "bel"]   # "duren", "lang": generic words


def test_keywords_rank_topic_words_first_and_dedupe_stems() -> None:
    extractor = KeywordExtractor()
    tokens = tokenize("mooie straat maar container container containers kapot en vies buiten")
    topical = {tokens.index("container")}
    keywords = extractor.extract(tokens, topical)
    assert keywords[0] == "container"
    assert keywords.count("container") == 1 and "containers" not in keywords
    assert len(extractor.extract(tokenize("een twee drie vier vijf zes zeven acht negen tien elf twaalf aap noot mies "
                                          "boom roos vis vuur water lucht aarde"))) == 5


def test_pseudonyms_are_keyed_hmac_and_normalised() -> None:
    first = Pseudonymiser("secret")
    assert first.pseudonym("@JanJansen") == first.pseudonym("janjansen ") == pseudonymise("JanJansen", "secret")
    assert first.pseudonym("janjansen") != Pseudonymiser("other").pseudonym("janjansen")
    assert first.pseudonym("janjansen") != first.pseudonym("janjanssen")
    value = first.pseudonym("x")
    assert re.fullmatch(r"p:[0-9a-f]{16}", value)  # a fixed-length hex digest, no trace of the handle
    with pytest.raises(ValueError):
        Pseudonymiser("")


def test_tokenize_and_clean() -> None:
    assert tokenize("Kliko's! #Afval @Zeist [telefoon] 😡 https://x.nl/a?b=1 :-)") == [
        "kliko's", "!", "#afval", "@zeist", "[telefoon]", "😡", "https://x.nl/a?b=1", ":-)"]
    assert clean_text("a\x00b\x1bc\nd\te") == "abc\nd\te"
    assert stem("kliko's") == stem("kliko") and stem("containers") == stem("container")
