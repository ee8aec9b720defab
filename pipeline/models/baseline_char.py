"""The plain baseline every trained topic model is shown next to: character TF-IDF + logistic regression."""
from __future__ import annotations

from collections.abc import Sequence

from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline

from pipeline.models.text_features import NgramTfidf

BASELINE_NAME = "char_wb 2-5 TF-IDF + logistic regression (C=1)"


def char_baseline_pipeline() -> Pipeline:
    """Char_wb 2-5-gram TF-IDF (sublinear, min_df 2) of normalised text and a default logistic regression."""
    return Pipeline([
        ("features", NgramTfidf(word_ngrams=None, char_ngrams=(2, 5), min_df=2)),
        ("classifier", LogisticRegression(C=1.0, max_iter=1000)),
    ])


def char_baseline_predictions(train_texts: Sequence[str], train_labels: Sequence[str],
                              texts: Sequence[str]) -> list[str]:
    """Fit the baseline on the training rows and predict `texts`."""
    model = char_baseline_pipeline().fit(list(train_texts), list(train_labels))
    return [str(label) for label in model.predict(list(texts))]
