"""Sentiment v1: complaints negative, compliments positive, plain questions neutral; the scorer's mechanics."""
from __future__ import annotations

import pytest

from pipeline.enrich.sentiment import Lexicon, LexiconSentiment
from pipeline.enrich.text import tokenize

COMPLAINTS = [
    "vuilnis al twee weken niet opgehaald",
    "De container bij ons in de straat zit alweer vol, wat een zooi",
    "Nog steeds niet teruggebeld, belachelijk",
    "Al weken overlast van de wegwerkzaamheden op de Slotlaan 😡",
    "De lantaarnpaal is al een maand kapot en het is hier levensgevaarlijk donker",
    "Schandalig hoe lang je in de wacht staat bij de gemeente",
    "Ik ben echt boos, mijn kliko is weer overgeslagen",
    "Wat een puinhoop met die omleiding, niemand weet waar je heen moet",
    "Stank van het riool, al dagen, niks aan gedaan",
    "Geen reactie op mijn melding over de losse tegels",
    "De speeltuin ligt vol glas, gevaarlijk voor de kinderen",
    "Ik kon het niet vinden op de website, heel onduidelijk",
    "Zeer teleurgesteld in de afhandeling van mijn bezwaar",
    "Hangjongeren maken elke nacht herrie, ik kan niet slapen",
    "Niet blij met de nieuwe parkeerregels 👎",
    "De stoep is al maanden opgebroken, onacceptabel",
    "Van het kastje naar de muur gestuurd, waardeloze service",
    "Waarom is het grofvuil nog steeds niet opgehaald?",
]

COMPLIMENTS = [
    "bedankt voor de snelle hulp!",
    "Top geregeld, de container is binnen een dag vervangen 👍",
    "Super vriendelijk geholpen aan de balie, dank jullie wel",
    "Complimenten voor de mannen van de reiniging, alles weer netjes",
    "Heel fijn dat de lantaarnpaal zo snel gerepareerd is",
    "Goed geregeld met de omleiding, duidelijke borden",
    "Dank u wel voor het terugbellen, probleem opgelost",
    "Wat ziet het park er mooi uit na het onderhoud 😊",
    "Blij met de nieuwe speeltuin in onze wijk!",
    "Prima service van het KCC, snel geholpen",
    "Geweldig initiatief, de buurtschoonmaak was een succes",
    "Eindelijk opgelost, bedankt!",
]

NEUTRAL_QUESTIONS = [
    "wanneer wordt het grofvuil opgehaald?",
    "Hoe vraag ik een parkeervergunning aan?",
    "Wat zijn de openingstijden van het stadhuis?",
    "Waar kan ik mijn paspoort ophalen?",
    "Kan ik snel geholpen worden aan de balie?",
    "Is de Slotlaan morgen weer open?",
]


@pytest.fixture(scope="module")
def scorer() -> LexiconSentiment:
    return LexiconSentiment()


@pytest.mark.parametrize("text", COMPLAINTS)
def test_complaints_are_negative(scorer: LexiconSentiment, text: str) -> None:
    label, score = scorer.score(text, tokenize(text))
    assert label == "negative"
    assert -1.0 <= score < 0


@pytest.mark.parametrize("text", COMPLIMENTS)
def test_compliments_are_positive(scorer: LexiconSentiment, text: str) -> None:
    label, score = scorer.score(text, tokenize(text))
    assert label == "positive"
    assert 0 < score <= 1.0


@pytest.mark.parametrize("text", NEUTRAL_QUESTIONS)
def test_plain_questions_are_neutral(scorer: LexiconSentiment, text: str) -> None:
    assert scorer.score(text)[0] == "neutral"


def test_negation_flips_a_positive(scorer: LexiconSentiment) -> None:
    assert scorer.score("blij met de omleiding")[0] == "positive"
    assert scorer.score("niet blij met de omleiding")[0] == "negative"
    assert scorer.score("nooit tevreden over het loket")[0] == "negative"


def test_negated_negative_is_at_most_mildly_positive(scorer: LexiconSentiment) -> None:
    plain = scorer.score("het is slecht")[1]
    negated = scorer.score("het is niet slecht")[1]
    assert plain < 0 < negated < abs(plain)


def test_negation_does_not_cross_a_clause_boundary(scorer: LexiconSentiment) -> None:
    assert scorer.score("niet gebeld, maar wel blij met de hulp")[1] > scorer.score("niet blij met de hulp")[1]


def test_intensifiers_and_exclamations_strengthen(scorer: LexiconSentiment) -> None:
    base = scorer.score("de straat is vies")[1]
    assert scorer.score("de straat is heel erg vies")[1] < base
    assert scorer.score("de straat is vies!!!")[1] < base


def test_intensifier_that_is_also_praise_only_intensifies(scorer: LexiconSentiment) -> None:
    assert scorer.score("super")[0] == "positive"
    assert scorer.score("super traag")[0] == "negative"


def test_duration_phrases_count_as_complaints(scorer: LexiconSentiment) -> None:
    assert scorer.score("de lamp is al 3 weken uit")[0] == "negative"
    assert scorer.score("al een paar dagen geen post")[0] == "negative"


@pytest.mark.parametrize("emoji, label", [("😡", "negative"), ("🤬", "negative"), ("👎", "negative"), ("😤", "negative"),
                                          ("👍", "positive"), ("😊", "positive"), ("🙏", "positive"), ("❤️", "positive")])
def test_emoji(scorer: LexiconSentiment, emoji: str, label: str) -> None:
    assert scorer.score(f"de container {emoji}")[0] == label


def test_politeness_formulas_are_not_praise(scorer: LexiconSentiment) -> None:
    assert scorer.score("Wanneer komt de nieuwe kliko? Alvast bedankt")[0] == "neutral"
    assert scorer.score("Met vriendelijke groet, Jan")[0] == "neutral"


def test_stem_collisions_are_pinned(scorer: LexiconSentiment) -> None:
    assert scorer.score("slechts twee containers")[0] == "neutral"
    assert scorer.score("wandeling door het bos")[0] == "neutral"


def test_empty_and_symbol_only_texts_are_neutral(scorer: LexiconSentiment) -> None:
    assert scorer.score("") == ("neutral", 0.0)
    assert scorer.score("<script></script> ### ...") == ("neutral", 0.0)


def test_lexicon_rejects_malformed_lines() -> None:
    with pytest.raises(ValueError, match="line 1"):
        Lexicon.parse("kapot\t-1.0")
    with pytest.raises(ValueError, match="unknown kind"):
        Lexicon.parse("kapot\t-1.0\tnoun")
    with pytest.raises(ValueError, match="stem"):
        Lexicon.parse("kapot\t-1.0\tword\nkapotte\t-0.5\tword")


def test_custom_lexicon_is_used() -> None:
    scorer = LexiconSentiment(Lexicon.parse("gezellig\t1.0\tword\nsaai\t-1.0\tword\nniet\t0\tnegator"))
    assert scorer.score("gezellig")[0] == "positive"
    assert scorer.score("niet gezellig")[0] == "negative"
    assert scorer.score("kapot")[0] == "neutral"
