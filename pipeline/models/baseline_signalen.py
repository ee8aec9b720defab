"""The Signalen-style baseline: Snowball-stemmed word 1-2 grams -> TF-IDF -> L1 logistic regression, one-vs-rest."""
from __future__ import annotations

import re
from functools import lru_cache

from nltk.stem.snowball import SnowballStemmer
from sklearn.feature_extraction.text import CountVectorizer, TfidfTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score
from sklearn.multiclass import OneVsRestClassifier
from sklearn.pipeline import Pipeline

_TOKEN = re.compile(r"(?u)\b\w\w+\b")
_STEMMER = SnowballStemmer("dutch")
C_GRID: tuple[float, ...] = (0.5, 1.0, 5.0)


@lru_cache(maxsize=200_000)
def _stem(word: str) -> str:
    """The cached Dutch Snowball stem of a word."""
    return _STEMMER.stem(word)


def stemmed_tokens(text: str) -> list[str]:
    """Lower-cased word tokens (2+ characters) reduced to their Dutch Snowball stems."""
    return [_stem(w) for w in _TOKEN.findall(text.lower())]


def signalen_pipeline(c: float = 1.0) -> Pipeline:
    """CountVectorizer(1,2) over stems -> TfidfTransformer -> one-vs-rest L1 logistic regression (l1_ratio=1)."""
    return Pipeline([
        ("counts", CountVectorizer(tokenizer=stemmed_tokens, lowercase=False, token_pattern=None, ngram_range=(1, 2))),
        ("tfidf", TfidfTransformer()),
        ("classifier", OneVsRestClassifier(LogisticRegression(l1_ratio=1.0, solver="liblinear", C=c))),
    ])


def tune_signalen_c(train_texts: list[str], train_labels: list[str], held_texts: list[str],
                    held_labels: list[str], grid: tuple[float, ...] = C_GRID) -> float:
    """C with the best macro-F1 on a held-out part of the training data (the same inner split our model tunes on)."""
    best, best_score = grid[0], -1.0
    for c in grid:
        model = signalen_pipeline(c).fit(train_texts, train_labels)
        score = f1_score(held_labels, model.predict(held_texts), average="macro", zero_division=0)
        if score > best_score:
            best, best_score = c, score
    return best
