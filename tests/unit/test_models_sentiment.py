"""The bundled supervised sentiment model on team-written sentences, and `evaluate-sentiment`."""
from __future__ import annotations

import csv
from pathlib import Path

import pytest
from click.testing import CliRunner
from sklearn.metrics import f1_score

from pipeline.cli.models import evaluate_sentiment
from pipeline.models.sentiment_model import SupervisedSentiment, load_sentiment_model, normalise_sentiment_label
from pipeline.models.starter import starter_sentiment_dir

# Written for this test; none of these sentences occurs in the training corpus.
COMPLAINTS = [
    "Al twee weken ligt er afval naast de container en niemand komt het ophalen",
    "De lantaarnpaal in onze straat is nu al een maand kapot",
    "Ik ben nog steeds niet teruggebeld, dit is de derde keer dat ik bel",
    "Wat een overlast van die wegwerkzaamheden, je kunt nergens meer langs",
    "Vuilnis niet opgehaald, weer vergeten door de gemeente",
    "Elke nacht herrie van de hangjongeren bij het winkelcentrum",
    "De stoep ligt vol hondenpoep, echt smerig",
    "mw belt, kliko al 3x niet geleegd, is het zat",
    "Het riool stinkt verschrikkelijk en er gebeurt niks",
    "Belachelijk dat je zes weken moet wachten op een afspraak voor je paspoort",
    "De omleiding is een chaos, niemand snapt waar je heen moet",
    "Mijn melding over de losse tegels is gewoon afgesloten zonder dat er iets is gedaan",
]
COMPLIMENTS = [
    "Bedankt voor het snel repareren van de lantaarnpaal!",
    "Complimenten aan de vuilnismannen, altijd vriendelijk en netjes",
    "Wat fijn dat de speeltuin zo mooi is opgeknapt",
    "Top geholpen aan de balie vandaag, binnen tien minuten klaar",
    "Heel blij met de nieuwe bankjes in het park 😊",
    "De medewerker van de gemeente heeft me super goed geholpen, dank!",
    "Mooi werk van de groenploeg, de bomen zien er prachtig uit",
    "Snel en duidelijk antwoord gekregen op mijn vraag, petje af",
    "Het gat in de weg is dezelfde dag nog gedicht, geweldig",
]
QUESTIONS = [
    "Wanneer wordt het oud papier opgehaald in onze wijk?",
    "Hoe vraag ik een nieuwe id-kaart aan?",
    "Wat zijn de openingstijden van het gemeentehuis op vrijdag?",
]


@pytest.fixture(scope="module")
def model() -> SupervisedSentiment:
    """The bundled supervised sentiment model."""
    return load_sentiment_model(starter_sentiment_dir())


@pytest.mark.parametrize("text", COMPLAINTS)
def test_complaints_are_negative(model: SupervisedSentiment, text: str) -> None:
    label, score = model.score(text)
    assert label == "negative" and score < 0, (text, label, score)


@pytest.mark.parametrize("text", COMPLIMENTS)
def test_compliments_are_positive(model: SupervisedSentiment, text: str) -> None:
    label, score = model.score(text)
    assert label == "positive" and score > 0, (text, label, score)


def test_plain_questions_are_neutral(model: SupervisedSentiment) -> None:
    assert [label for label, _ in model.score_many(QUESTIONS)] == ["neutral"] * len(QUESTIONS)


def test_batch_and_single_scoring_agree_and_bad_input_is_neutralish(model: SupervisedSentiment) -> None:
    texts = COMPLAINTS[:2] + COMPLIMENTS[:2]
    assert model.score_many(texts) == [model.score(t) for t in texts]
    assert model.score_many([]) == []
    label, score = model.score(None)  # type: ignore[arg-type]
    assert label in ("negative", "neutral", "positive") and -1.0 <= score <= 1.0


def test_label_aliases() -> None:
    assert [normalise_sentiment_label(v) for v in ("neg", "Negatief", "-1", "neu", "0", "pos", "+1", "x")] == [
        "negative", "negative", "negative", "neutral", "neutral", "positive", "positive", None]


def _write(path: Path, rows: list[tuple[str, str]]) -> Path:
    """Write (content, polarity) rows as CSV."""
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["content", "polarity"])
        writer.writerows(rows)
    return path


def test_evaluate_sentiment_prints_macro_f1_computed_like_sklearn(model: SupervisedSentiment, tmp_path: Path) -> None:
    rows = [(t, "neg") for t in COMPLAINTS] + [(t, "pos") for t in COMPLIMENTS] + [(t, "neu") for t in QUESTIONS]
    rows.append(("iets zonder bruikbaar label", "misschien"))
    path = _write(tmp_path / "s.csv", rows)
    result = CliRunner().invoke(evaluate_sentiment, ["--data", str(path), "--text-column", "content",
                                                     "--label-column", "polarity"])
    assert result.exit_code == 0, result.output
    truth = [normalise_sentiment_label(label) for _, label in rows[:-1]]
    predicted = [label for label, _ in model.score_many([t for t, _ in rows[:-1]])]
    assert f"macro-F1: {f1_score(truth, predicted, average='macro'):.3f}" in result.output
    assert "negative" in result.output and "lexicon scorer alone" in result.output


def test_evaluate_sentiment_cross_validation_runs_on_a_small_file(tmp_path: Path) -> None:
    rows = [(t, "negative") for t in COMPLAINTS[:9]] + [(t, "positive") for t in COMPLIMENTS] + [
        (f"{q} {i}", "neutral") for i in range(3) for q in QUESTIONS]
    path = _write(tmp_path / "cv.csv", rows)
    result = CliRunner().invoke(evaluate_sentiment, ["--data", str(path), "--text-column", "content",
                                                     "--label-column", "polarity", "--cv", "3"])
    assert result.exit_code == 0, result.output
    assert "3-fold stratified CV" in result.output and "macro-F1" in result.output
