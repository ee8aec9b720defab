"""Redaction rates on generated call notes with planted names, postcodes, street + number and birth dates."""
from __future__ import annotations

import pytest

from pipeline.enrich.pii.evaluation import NoteGenerator, evaluate, removed
from pipeline.enrich.pii.redact import redact


@pytest.fixture(scope="module")
def rates() -> dict[str, float]:
    """Rates on a seed the rules were not tuned on."""
    return evaluate(redact, 1_500, seed=31337)


@pytest.mark.parametrize("kind", ["name", "postcode", "street_number", "birth_date"])
def test_planted_values_are_removed(rates: dict[str, float], kind: str) -> None:
    assert rates[f"removed_{kind}"] >= 0.95


@pytest.mark.parametrize("kind", ["place", "street", "word"])
def test_places_streets_and_ordinary_words_are_kept(rates: dict[str, float], kind: str) -> None:
    assert rates[f"kept_{kind}"] >= 0.95


def test_the_scorer_counts_a_surviving_surname_as_not_removed() -> None:
    assert not removed("name", "Pieter de Vries", "Meneer [naam] de Vries belt")
    assert removed("name", "Pieter de Vries", "Meneer [naam] belt over de vries")
    assert not removed("postcode", "3701 AB", "Adres 3701 AB")


def test_generated_notes_vary() -> None:
    generator = NoteGenerator(1)
    texts = {generator.note().text for _ in range(200)}
    assert len(texts) == 200
