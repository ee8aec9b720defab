"""The fast n-gram TF-IDF features: normalisation and equivalence with scikit-learn's vectorisers."""
from __future__ import annotations

import pickle

import numpy as np
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.pipeline import FeatureUnion

from pipeline.models.text_features import NgramTfidf, char_wb_ngrams, normalise, words_of

TEXTS = [
    "De kliko is al 3 weken NIET geleegd!!! 😡",
    "mw belt, container niet geleegd. tb gevraagd op 06-12345678",
    "Zóóóó blij met de snelle reparatie van de lantaarnpaal",
    "parkeervergunning aanvragen",
    "https://example.nl/pagina?x=1 kan het formulier niet vinden",
    "Losse stoeptegels in de Dorpsstraat, gevaarlijk voor ouderen",
    "container vol, afval ernaast",
    "wanneer wordt het gft opgehaald",
]


def test_normalise_folds_case_accents_digits_urls_and_elongation() -> None:
    assert normalise("Zóóóó Café 2024!") == "zoo cafe 0"
    assert normalise("zie https://www.gemeente.nl/afval?x=1 nu") == "zie url nu"
    assert words_of("nr. 12a, 06-1234") == ["nr", "0a", "0", "0"]
    assert normalise(None) == ""
    assert normalise(12) == "0"


def test_char_wb_ngrams_match_scikit_learn_for_short_and_long_words() -> None:
    analyzer = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5)).build_analyzer()
    for word in ["a", "ab", "abc", "kliko", "parkeervergunning"]:
        assert char_wb_ngrams(word, 3, 5) == analyzer(word)


def test_features_equal_a_union_of_scikit_learn_vectorisers() -> None:
    ours = NgramTfidf(word_ngrams=(1, 2), char_ngrams=(3, 5), min_df=1).fit(TEXTS)
    theirs = FeatureUnion([
        ("w", TfidfVectorizer(preprocessor=normalise, token_pattern=r"\S+", ngram_range=(1, 2), sublinear_tf=True)),
        ("c", TfidfVectorizer(preprocessor=normalise, analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True)),
    ]).fit(TEXTS)
    probe = TEXTS[:3] + ["nieuw woord dat niemand kent", ""]
    np.testing.assert_allclose(ours.transform(probe).toarray(), theirs.transform(probe).toarray(), atol=1e-12)


def test_min_df_and_max_features_limit_the_vocabulary() -> None:
    small = NgramTfidf(min_df=2).fit(TEXTS)
    assert "geleegd" in small.word_vocabulary_
    assert "stoeptegels" not in small.word_vocabulary_
    capped = NgramTfidf(min_df=1, max_features=10).fit(TEXTS)
    assert len(capped.word_vocabulary_) == 10 and len(capped.char_vocabulary_) == 10


def test_pickle_round_trip_gives_identical_features() -> None:
    features = NgramTfidf(min_df=1).fit(TEXTS)
    before = features.transform(TEXTS).toarray()
    restored = pickle.loads(pickle.dumps(features))
    np.testing.assert_array_equal(restored.transform(TEXTS).toarray(), before)


def test_transform_before_fit_and_empty_fit_fail_clearly() -> None:
    with pytest.raises(RuntimeError):
        NgramTfidf().transform(["x"])
    with pytest.raises(ValueError):
        NgramTfidf().fit([])
