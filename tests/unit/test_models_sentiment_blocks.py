"""The sentiment model's building blocks: document-frequency cut, clipped cues, one regression per feature block."""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from sklearn.linear_model import LogisticRegression

from pipeline.models.sentiment_blocks import BlockLogisticRegression
from pipeline.models.sentiment_features import ClipValues
from pipeline.models.sentiment_model import train_sentiment
from pipeline.models.text_features import NgramTfidf

TEXTS = [
    "de bak is niet geleegd en de straat ligt vol", "de lamp is kapot en het is donker",
    "de stoep is weer opengebroken, wat een puinhoop", "de bus kwam weer te laat, belachelijk",
    "dank voor de snelle hulp, top geregeld", "de nieuwe bankjes zijn prachtig, dank",
    "heel blij met de vriendelijke medewerker", "super dat de speeltuin zo snel gerepareerd is",
    "de markt is op zaterdag", "de raad vergadert dinsdag over de begroting",
    "het loket is maandag open", "de afvalkalender staat op de website",
]
LABELS = ["negative"] * 4 + ["positive"] * 4 + ["neutral"] * 4


def test_max_df_leaves_out_terms_found_in_too_many_texts() -> None:
    plain = NgramTfidf(word_ngrams=(1, 1), char_ngrams=None, min_df=1).fit(TEXTS)
    cut = NgramTfidf(word_ngrams=(1, 1), char_ngrams=None, min_df=1, max_df=0.5).fit(TEXTS)
    assert "de" in plain.word_vocabulary_ and "de" not in cut.word_vocabulary_   # "de" is in 11 of 12 texts
    assert "kapot" in cut.word_vocabulary_
    assert set(cut.word_vocabulary_) < set(plain.word_vocabulary_)


def test_features_pickled_before_max_df_existed_load_without_it() -> None:
    fitted = NgramTfidf(min_df=1).fit(TEXTS)
    state = fitted.__getstate__()
    state.pop("max_df")
    restored = NgramTfidf.__new__(NgramTfidf)
    restored.__setstate__(state)
    assert restored.max_df is None
    assert (restored.transform(TEXTS) != fitted.transform(TEXTS)).nnz == 0


def test_clip_values_bounds_standardised_cues() -> None:
    values = np.array([[-7.0, 0.5, 2.5], [1.0, 9.0, -2.0]])
    clipped = ClipValues(2.0).fit(values).transform(values)
    assert clipped.tolist() == [[-2.0, 0.5, 2.0], [1.0, 2.0, -2.0]]


def test_block_regression_adds_one_regression_per_block() -> None:
    rng = np.random.default_rng(0)
    dense = rng.normal(size=(60, 5))
    labels = np.array(["a", "b", "c"] * 20)
    dense[:, 0] += (labels == "a") * 2.0
    dense[:, 3] += (labels == "b") * 2.0
    block = BlockLogisticRegression(blocks=(3,), C=2.0, last_C=0.5).fit(sp.csr_matrix(dense), labels)
    first = LogisticRegression(C=2.0, class_weight="balanced", max_iter=2000).fit(dense[:, :3], labels)
    last = LogisticRegression(C=0.5, class_weight="balanced", max_iter=2000).fit(dense[:, 3:], labels)
    assert np.allclose(block.coef_, np.hstack([first.coef_, last.coef_]), atol=1e-4)
    assert np.allclose(block.intercept_, first.intercept_ + last.intercept_, atol=1e-4)
    summed = first.decision_function(dense[:, :3]) + last.decision_function(dense[:, 3:])
    assert np.allclose(block.decision_function(dense), summed, atol=1e-3)
    assert np.allclose(block.predict_proba(dense).sum(axis=1), 1.0)
    assert (block.predict(dense) == np.asarray(block.classes_)[summed.argmax(axis=1)]).all()


def test_block_model_fast_path_matches_the_pipeline() -> None:
    params = {"min_df": 1, "max_df": 0.5, "dense_clip": 2.0, "block_ensemble": True}
    model = train_sentiment(TEXTS, LABELS, params=params)
    classifier = model.pipeline.named_steps["classifier"]
    assert isinstance(classifier, BlockLogisticRegression)
    ngrams = dict(model.pipeline.named_steps["features"].transformer_list)["ngrams"]
    assert tuple(classifier.blocks) == (ngrams.n_word_features_, ngrams.n_features_out_)
    texts = TEXTS + ["wat een puinhoop, alweer kapot #schande", "dank!!! 😊😊😊 " * 20, ""]
    assert model._fast_parts() is not None
    assert np.allclose(model.decision(texts), model.pipeline.decision_function(texts), atol=1e-9)
    assert [label for label, _ in model.score_many(TEXTS)] == LABELS
