"""Fast TF-IDF features for short Dutch texts: word n-grams plus char n-grams inside words, per-word cached."""
from __future__ import annotations

import logging
import re
from array import array
from collections import Counter
from collections.abc import Callable, Iterable
from itertools import chain
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin

from pipeline.models.shorthand import expand_shorthand

log = logging.getLogger(__name__)

_URL = re.compile(r"https?://\S+|www\.\S+")
_ZEROS = re.compile(r"0{2,}")
_REPEATS = re.compile(r"([a-z])\1{2,}")
# Accents folded, digits to '0', ASCII punctuation and control characters to spaces.
_FOLD: dict[int, str] = {
    **{ord(a): b for a, b in zip("àáâãäåèéêëìíîïòóôõöùúûüýÿñç123456789",
                                 "aaaaaaeeeeiiiiooooouuuuyync000000000")},
    **{c: " " for c in range(128) if not chr(c).isalnum() and not chr(c).isspace()},
}
_FOLD_ASCII = bytes(ord(_FOLD.get(c, chr(c))) for c in range(128)) + bytes(range(128, 256))   # the same, as bytes
# The characters a word can hold before folding: [a-z0-9] and the accented letters _FOLD turns into ASCII letters.
_FOLDABLE_WORDS = re.compile("[a-z0-9" + "".join(chr(c) for c in _FOLD if c > 127) + "]+")
_CACHE_LIMIT = 200_000
_WORD_FORMS: dict[str, str] = {}


def _word_form(word: str) -> str:
    """A raw word folded (accents, digits to '0'), digit runs collapsed to '0' and letters repeated 3+ times cut to
    two ('zooo' -> 'zoo'); cached."""
    form = _WORD_FORMS.get(word)
    if form is None:
        form = _REPEATS.sub(r"\1\1", _ZEROS.sub("0", word.translate(_FOLD)))
        if len(_WORD_FORMS) >= _CACHE_LIMIT:
            _WORD_FORMS.clear()
        _WORD_FORMS[word] = form
    return form


def words_of(text: Any) -> list[str]:
    """Normalised words: runs of [a-z0-9] after lower-casing and folding accents; URLs as 'url',
    digit runs as '0', letters repeated 3+ times cut to two."""
    if not isinstance(text, str):
        text = "" if text is None else str(text)
    folded = text.lower()
    if "http" in folded or "www." in folded:
        folded = _URL.sub(" url ", folded)
    if folded.isascii():   # folded as bytes: str.translate looks every character up in a dict
        raw = folded.encode("ascii").translate(_FOLD_ASCII).decode("ascii").split()
    else:   # every other character only separates words, so the words are the runs of foldable characters
        raw = _FOLDABLE_WORDS.findall(folded)
    forms = _WORD_FORMS
    return [forms.get(w) or _word_form(w) for w in raw]


def normalise(text: Any) -> str:
    """The normalised words of `text` joined by single spaces (see words_of)."""
    return " ".join(words_of(text))


def char_wb_ngrams(word: str, low: int, high: int) -> list[str]:
    """Char n-grams of one space-padded word, the same as scikit-learn's 'char_wb' analyser per word."""
    padded = f" {word} "
    size = len(padded)
    grams: list[str] = []
    for n in range(low, high + 1):
        if size <= n:
            grams.append(padded)
            break
        grams.extend(padded[i:i + n] for i in range(size - n + 1))
    return grams


def word_ngrams(words: list[str], low: int, high: int) -> list[str]:
    """Word n-grams joined by a space, as scikit-learn's 'word' analyser builds them."""
    grams: list[str] = list(words) if low <= 1 else []
    for n in range(max(2, low), high + 1):
        grams.extend(" ".join(words[i:i + n]) for i in range(len(words) - n + 1))
    return grams


class NgramTfidf(BaseEstimator, TransformerMixin):
    """TF-IDF over word n-grams and char_wb n-grams of normalised text, each block L2-normalised.

    Equivalent to a FeatureUnion of two scikit-learn TfidfVectorizers (word and char_wb, both on
    `normalise`d text, smooth idf), but several times faster at prediction: each distinct word's
    char n-gram columns are looked up once and cached.
    """

    def __init__(self, word_ngrams: tuple[int, int] | None = (1, 2), char_ngrams: tuple[int, int] | None = (3, 5),
                 min_df: int = 2, max_features: int | None = None, sublinear_tf: bool = True,
                 shorthand: bool = False, max_df: float | None = None) -> None:
        """Block n-gram ranges (None: leave the block out), minimum document frequency, vocabulary cap per block;
        `shorthand` writes out call-note abbreviations first ("mw", "i.v.m."); `max_df` (a share of the texts)
        leaves out terms found in more texts than that, such as function words."""
        self.word_ngrams = word_ngrams
        self.char_ngrams = char_ngrams
        self.min_df = min_df
        self.max_features = max_features
        self.sublinear_tf = sublinear_tf
        self.shorthand = shorthand
        self.max_df = max_df

    def _words(self, text: Any) -> list[str]:
        """The normalised words of one text, with shorthand written out when asked."""
        words = words_of(text)
        return expand_shorthand(words) if getattr(self, "shorthand", False) else words

    # --- fitting -------------------------------------------------------------------------------------
    def fit(self, texts: Iterable[Any], y: Any = None) -> NgramTfidf:
        """Learn both vocabularies and their idf weights from `texts`."""
        docs = [self._words(t) for t in texts]
        if not docs:
            raise ValueError("cannot fit features on an empty list of texts")
        word_df: Counter[str] = Counter()
        char_df: Counter[str] = Counter()
        word_grams_of: dict[str, list[str]] = {}
        for words in docs:
            if self.word_ngrams:
                word_df.update(set(word_ngrams(words, *self.word_ngrams)))
            if self.char_ngrams:
                grams: set[str] = set()
                for word in set(words):
                    cached = word_grams_of.get(word)
                    if cached is None:
                        cached = word_grams_of[word] = char_wb_ngrams(word, *self.char_ngrams)
                    grams.update(cached)
                char_df.update(grams)
        n_docs = len(docs)
        word_terms = self._select(word_df, n_docs)
        char_terms = self._select(char_df, n_docs)
        self.word_vocabulary_ = {term: i for i, term in enumerate(word_terms)}
        offset = len(word_terms)
        self.char_vocabulary_ = {term: offset + i for i, term in enumerate(char_terms)}
        df = np.array([word_df[t] for t in word_terms] + [char_df[t] for t in char_terms], dtype=np.float64)
        self.idf_ = np.log((1.0 + n_docs) / (1.0 + df)) + 1.0
        self.n_word_features_ = offset
        self.n_features_out_ = offset + len(char_terms)
        self._reset_cache()
        if self.n_features_out_ == 0:
            log.warning("features: no term reaches min_df=%d in %d texts", self.min_df, n_docs)
        return self

    def _select(self, df: Counter[str], n_docs: int) -> list[str]:
        """Terms with document frequency >= min_df (and <= max_df of `n_docs`), the most frequent `max_features`
        of them, sorted."""
        share = getattr(self, "max_df", None)
        most = n_docs * share if share is not None else float(n_docs)
        kept = [(count, term) for term, count in df.items() if self.min_df <= count <= most]
        if self.max_features is not None and len(kept) > self.max_features:
            kept.sort(key=lambda item: (-item[0], item[1]))
            kept = kept[: self.max_features]
        return sorted(term for _, term in kept)

    # --- transforming --------------------------------------------------------------------------------
    def _reset_cache(self) -> None:
        """Start with an empty per-word cache of char n-gram columns."""
        self._char_cache: dict[str, list[int]] = {}
        self._word_cache: dict[str, bytes] = {}

    def __getstate__(self) -> dict[str, Any]:
        """Pickle without the per-word cache."""
        state = self.__dict__.copy()
        state.pop("_char_cache", None)
        state.pop("_word_cache", None)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        """Restore (models saved before the shorthand option get it off) and start with an empty cache."""
        state.setdefault("shorthand", False)
        state.setdefault("max_df", None)
        self.__dict__.update(state)
        self._reset_cache()

    def _char_columns(self, word: str) -> list[int]:
        """Column indices of one word's char n-grams (cached)."""
        cache = self._char_cache
        found = cache.get(word)
        if found is None:
            vocab = self.char_vocabulary_
            low, high = self.char_ngrams or (3, 5)   # only called when the char block is on
            found = [vocab[g] for g in char_wb_ngrams(word, low, high) if g in vocab]
            if len(cache) >= _CACHE_LIMIT:
                cache.clear()
            cache[word] = found
        return found

    def _word_columns(self, word: str) -> bytes:
        """Column indices of one word as a unigram (when in the vocabulary) and of its char n-grams, as int64
        bytes (cached)."""
        unigram = self.word_vocabulary_.get(word)
        found = array("q", ([unigram] if unigram is not None else []) + self._char_columns(word)).tobytes()
        if len(self._word_cache) >= _CACHE_LIMIT:
            self._word_cache.clear()
        self._word_cache[word] = found
        return found

    def transform(self, texts: Iterable[Any]) -> sp.csr_matrix:
        """The TF-IDF matrix (rows: texts), word block then char block, each L2-normalised per row."""
        if not hasattr(self, "idf_"):
            raise RuntimeError("NgramTfidf is not fitted")
        word_vocab = self.word_vocabulary_
        use_words, use_chars = bool(self.word_ngrams), bool(self.char_ngrams)
        low, high = self.word_ngrams or (1, 1)
        words_of_text = self._words if getattr(self, "shorthand", False) else words_of
        if use_words and use_chars and low == 1 and high <= 2:
            columns, indptr = self._usual_columns(texts, words_of_text, high == 2)
            return self._weigh(columns, indptr)
        listed: list[int] = []   # a list, turned into an array once: array("q") converts each item slowly
        offsets = [0]
        char_columns = self._char_columns
        cache = self._char_cache
        for text in texts:
            words = words_of_text(text)
            if use_words:
                if low == 1 and high <= 2:
                    listed.extend(word_vocab[w] for w in words if w in word_vocab)
                    if high == 2:
                        for a, b in zip(words, words[1:]):
                            col = word_vocab.get(f"{a} {b}")
                            if col is not None:
                                listed.append(col)
                else:
                    listed.extend(word_vocab[g] for g in word_ngrams(words, low, high) if g in word_vocab)
            if use_chars:
                listed.extend(chain.from_iterable([cache[w] if w in cache else char_columns(w) for w in words]))
            offsets.append(len(listed))
        return self._weigh(np.fromiter(listed, dtype=np.int64, count=len(listed)),
                           np.fromiter(offsets, dtype=np.int64, count=len(offsets)))

    def _usual_columns(self, texts: Iterable[Any], words_of_text: Callable[[Any], list[str]],
                       bigrams: bool) -> tuple[np.ndarray, np.ndarray]:
        """Columns and row offsets for the usual shape (unigrams, maybe bigrams, and char n-grams): each word's
        columns are cached as int64 bytes, so a row is one join and the batch one array, with no per-column
        conversion."""
        word_vocab = self.word_vocabulary_
        both = self._word_cache
        rows: list[bytes] = []
        indptr = [0]
        total = 0
        for text in texts:
            words = words_of_text(text)
            pieces = [both[w] if w in both else self._word_columns(w) for w in words]
            if bigrams and len(words) > 1:
                pairs = []
                for a, b in zip(words, words[1:]):
                    col = word_vocab.get(f"{a} {b}")
                    if col is not None:
                        pairs.append(col)
                if pairs:
                    pieces.append(array("q", pairs).tobytes())
            row = b"".join(pieces)
            rows.append(row)
            total += len(row) >> 3
            indptr.append(total)
        columns = np.frombuffer(bytearray(b"".join(rows)), dtype=np.int64)
        return columns, np.fromiter(indptr, dtype=np.int64, count=len(indptr))

    def _weigh(self, columns: np.ndarray, indptr: np.ndarray) -> sp.csr_matrix:
        """Counts -> (sublinear) tf * idf, then L2 normalisation per row within each block."""
        n_rows = len(indptr) - 1
        matrix = sp.csr_matrix((np.ones(len(columns)), columns, indptr), shape=(n_rows, self.n_features_out_))
        matrix.sum_duplicates()
        data = matrix.data
        if self.sublinear_tf:
            np.log(data, out=data)
            data += 1.0
        data *= self.idf_[matrix.indices]
        rows = np.repeat(np.arange(n_rows), np.diff(matrix.indptr))
        block = (matrix.indices >= self.n_word_features_).astype(np.int64)
        sums = np.bincount(rows * 2 + block, weights=data * data, minlength=2 * n_rows)
        norms = np.sqrt(sums)
        norms[norms == 0.0] = 1.0
        data /= norms[rows * 2 + block]
        return matrix

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        """Feature names: word n-grams, then char n-grams prefixed with 'c:'."""
        names = [""] * self.n_features_out_
        for term, i in self.word_vocabulary_.items():
            names[i] = term
        for term, i in self.char_vocabulary_.items():
            names[i] = "c:" + term
        return np.asarray(names, dtype=object)
