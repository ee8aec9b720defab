"""The bundled sentiment model on held-out sentences written for this test (none is in the training corpus):
municipal complaints and compliments, irony, negation, questions, and out-of-domain review sentences."""
from __future__ import annotations

import pytest
from sklearn.metrics import f1_score

from pipeline.models.corpus_builder import read_written_sentences
from pipeline.models.sentiment_model import SupervisedSentiment, load_sentiment_model
from pipeline.models.starter import starter_sentiment_dir

MUNICIPAL = [
    ("Geweldig hoor... Echt top service 🙄", "negative"),
    ("Nou top hoor, de bak is wéér overgeslagen 🙄", "negative"),
    ("Fijn hoor, drie kwartier in de wacht gestaan bij het KCC", "negative"),
    ("De speeltuin aan de Vijverlaan is nog steeds niet gerepareerd", "negative"),
    ("Al vijf keer gemeld dat de putdeksel rammelt, niks mee gedaan", "negative"),
    ("mw belt boos, pas kwijt en niemand weet waar die is", "negative"),
    ("dhr klaagt: stoep al wkn opengebroken, kan niet met rollator naar buiten", "negative"),
    ("Ik ben helemaal niet tevreden over hoe mijn bezwaar is behandeld", "negative"),
    ("Waarom staat die lekkende brandkraan hier al een maand te spuiten?", "negative"),
    ("Onze wijk is vergeten bij het sneeuwruimen, glad en gevaarlijk", "negative"),
    ("Alweer geen reactie op mijn mail over de huurtoeslag 😡", "negative"),
    ("Vreselijk, de hele nacht bonkende muziek van het evenemententerrein", "negative"),
    ("Dank voor het snel weghalen van de gedumpte matrassen!", "positive"),
    ("Complimenten voor de vriendelijke dame van burgerzaken 👍", "positive"),
    ("Wat een mooie nieuwe bankjes langs de dijk, dank jullie", "positive"),
    ("Mijn melding over de verstopte kolk was binnen een dag verholpen, top", "positive"),
    ("mw belt om te bedanken, lantaarnpaal snel gemaakt", "positive"),
    ("Niet slecht hoor, binnen een week mijn nieuwe rijbewijs", "positive"),
    ("Heel blij met de extra fietsenrekken bij het station 😊", "positive"),
    ("Echt fijn dat de wijkagent even langskwam", "positive"),
    ("Prima geregeld met de tijdelijke containers tijdens de verbouwing", "positive"),
    ("Hoe laat gaat de milieustraat zaterdag open?", "neutral"),
    ("Wanneer komt de nieuwe afvalkalender uit?", "neutral"),
    ("dhr vraagt naar kosten huwelijk, tarieven gemaild", "neutral"),
    ("Vanaf 3 juni is de Molenstraat een week afgesloten", "neutral"),
    ("De gemeenteraad bespreekt dinsdag de nota over speelplekken", "neutral"),
    ("Kan ik mijn grofvuil ook zelf wegbrengen?", "neutral"),
    ("terugbelverzoek ivm aanvraag kwijtschelding", "neutral"),
]
REVIEWS = [
    ("Het eten was voortreffelijk en de bediening attent", "positive"),
    ("Een heerlijk boek, ik kon het niet wegleggen", "positive"),
    ("Vriendelijk personeel en een schone kamer met uitzicht op zee", "positive"),
    ("Prima telefoon voor die prijs, de batterij gaat lang mee", "positive"),
    ("De film was spannend tot de laatste minuut", "positive"),
    ("Snelle bezorging, alles heel, aanrader", "positive"),
    ("De soep was koud en het vlees taai", "negative"),
    ("Saaie voorstelling, halverwege zijn we weggegaan", "negative"),
    ("Na twee dagen was de rits al kapot, slechte kwaliteit", "negative"),
    ("Het hotel was gehorig en het ontbijt karig", "negative"),
    ("De klantenservice hing gewoon op, nooit meer", "negative"),
    ("Veel te duur voor zo'n klein portie", "negative"),
    ("Het restaurant ligt aan het plein tegenover de kerk", "neutral"),
    ("De roman telt ruim vierhonderd pagina's", "neutral"),
    ("Het apparaat wordt geleverd met een oplader en een handleiding", "neutral"),
    ("De voorstelling duurt anderhalf uur zonder pauze", "neutral"),
    ("Het museum is op maandag gesloten", "neutral"),
    ("De kamers hebben een tweepersoonsbed en een bureau", "neutral"),
]


@pytest.fixture(scope="module")
def model() -> SupervisedSentiment:
    """The bundled supervised sentiment model."""
    return load_sentiment_model(starter_sentiment_dir())


def test_held_out_sentences_are_not_in_the_corpus() -> None:
    corpus = {s.lower() for label in ("negative", "neutral", "positive") for s in read_written_sentences(label)}
    assert not corpus & {t.lower() for t, _ in MUNICIPAL + REVIEWS}


def test_municipal_complaints_compliments_and_questions_at_least_90_percent(model: SupervisedSentiment) -> None:
    predicted = [label for label, _ in model.score_many([t for t, _ in MUNICIPAL])]
    wrong = [(t, p) for (t, truth), p in zip(MUNICIPAL, predicted) if p != truth]
    assert len(wrong) <= 0.1 * len(MUNICIPAL), wrong


def test_irony_with_praise_words_is_negative(model: SupervisedSentiment) -> None:
    label, score = model.score("Geweldig hoor... Echt top service 🙄")
    assert label == "negative" and score < 0
    plain, plain_score = model.score("Geweldig, echt top service!")
    assert plain == "positive" and plain_score > 0


def test_out_of_domain_reviews_macro_f1_at_least_half(model: SupervisedSentiment) -> None:
    predicted = [label for label, _ in model.score_many([t for t, _ in REVIEWS])]
    assert f1_score([truth for _, truth in REVIEWS], predicted, average="macro") >= 0.5


def test_scores_are_softened_by_the_temperature(model: SupervisedSentiment) -> None:
    assert model.temperature > 1.0
    texts = ["Dank jullie wel, super geholpen!", "Het riool stinkt al weken", "Wanneer is de markt?"]
    softened, raw = model.proba(texts), model.pipeline.predict_proba(texts)
    assert abs(softened.sum(axis=1) - 1.0).max() < 1e-9
    assert (softened.argmax(axis=1) == raw.argmax(axis=1)).all()
    assert (softened.max(axis=1) < raw.max(axis=1)).all()


def test_second_check_set_is_not_in_the_corpus() -> None:
    from sentiment_check_sentences import MUNICIPAL_CHECK, REVIEW_CHECK

    corpus = {s.lower() for label in ("negative", "neutral", "positive") for s in read_written_sentences(label)}
    assert not corpus & {t.lower() for t, _ in MUNICIPAL_CHECK + REVIEW_CHECK}


def test_second_check_set_municipal_at_least_90_percent_and_reviews_at_least_half(model: SupervisedSentiment) -> None:
    from sentiment_check_sentences import MUNICIPAL_CHECK, REVIEW_CHECK

    municipal = [label for label, _ in model.score_many([t for t, _ in MUNICIPAL_CHECK])]
    wrong = [(t, p) for (t, truth), p in zip(MUNICIPAL_CHECK, municipal) if p != truth]
    assert len(wrong) <= 0.1 * len(MUNICIPAL_CHECK), wrong
    reviews = [label for label, _ in model.score_many([t for t, _ in REVIEW_CHECK])]
    assert f1_score([truth for _, truth in REVIEW_CHECK], reviews, average="macro") >= 0.5


def test_third_check_set_is_not_in_the_corpus_and_at_least_90_percent_right(model: SupervisedSentiment) -> None:
    from sentiment_check_sentences import MUNICIPAL_CHECK_3

    corpus = {s.lower() for label in ("negative", "neutral", "positive") for s in read_written_sentences(label)}
    assert not corpus & {t.lower() for t, _ in MUNICIPAL_CHECK_3}
    predicted = [label for label, _ in model.score_many([t for t, _ in MUNICIPAL_CHECK_3])]
    wrong = [(t, p) for (t, truth), p in zip(MUNICIPAL_CHECK_3, predicted) if p != truth]
    assert len(wrong) <= 0.1 * len(MUNICIPAL_CHECK_3), wrong
