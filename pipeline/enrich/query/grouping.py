"""The group key of a search query: equal for spelling, spacing, inflection, typo and word-order variants.

A query is folded, stop words are dropped, and its words are matched, longest run first, against the
team's vocabulary (exact, then within a small edit distance). Known terms become their term key; runs
of unknown words are glued, stemmed and spelling-canonicalised (long ones reduced to their consonant
skeleton). An unknown word that starts or ends with a term ("rioolaansluiting") is split at it.
The key is the sorted, space-joined set of these parts, so it depends on the query alone.
A group's subject rolls qualified needs up onto what they are about: the key without its modifier terms
("paspoort aanvragen", "verlopen paspoort" -> "paspoort"); it is a function of the group key.
"""
from __future__ import annotations

from functools import lru_cache

from pipeline.enrich.query.normalise import canonical_spelling, content_tokens, fold, skeleton, stem
from pipeline.enrich.query.vocabulary import Vocabulary, load_vocabulary, match_forms

SKELETON_MIN_CHARS = 8
SKELETON_MIN_CONSONANTS = 4
COMPOUND_MIN_TERM = 5
COMPOUND_MIN_REST = 4


def max_typo_distance(form: str) -> int:
    """How many edits a form of this length may be from a vocabulary form: 0 up to 4 letters, 1 up to 11, else 2."""
    length = len(form)
    if length <= 4:
        return 0
    if length <= 11:
        return 1
    return 2


class QueryGrouper:
    """Computes group keys and topics against one vocabulary; caches every step, so repeats are cheap."""

    def __init__(self, vocabulary: Vocabulary | None = None) -> None:
        """Use `vocabulary` (default: the shipped one)."""
        self.vocabulary = vocabulary if vocabulary is not None else load_vocabulary()
        self.term_for = lru_cache(maxsize=200_000)(self._term_for)
        self.key = lru_cache(maxsize=200_000)(self._key)
        self.split = lru_cache(maxsize=200_000)(self._split)
        self.subject = lru_cache(maxsize=200_000)(self._subject)
        self.subject_words = lru_cache(maxsize=200_000)(self._subject_words)

    def _term_for(self, joined: str) -> str | None:
        """The vocabulary key for a spacing-free string, allowing typos; None when nothing is close enough."""
        index = self.vocabulary.index
        forms = match_forms(joined)
        for form in forms:
            labels = index.exact(form)
            if labels:
                return min(labels)
        best: tuple[int, str] | None = None
        for form in forms:
            limit = max_typo_distance(form)
            for distance, indexed, label in index.near(form, limit):
                if len(form) <= 7 and indexed[:1] != form[:1]:
                    continue
                if best is None or (distance, label) < best:
                    best = (distance, label)
                break
        return best[1] if best else None

    def _exact_term(self, text: str) -> str | None:
        """The vocabulary key written exactly as `text` (after canonical spelling and stemming), else None."""
        for form in match_forms(text):
            labels = self.vocabulary.index.exact(form)
            if labels:
                return min(labels)
        return None

    def _split(self, word: str) -> tuple[str, str, str] | None:
        """(term key, rest, side) when `word` starts or ends with a vocabulary term and the rest is long enough."""
        for cut in range(len(word) - COMPOUND_MIN_REST, COMPOUND_MIN_TERM - 1, -1):
            term = self._exact_term(word[:cut])
            if term:
                return term, word[cut:], "head"
        for cut in range(COMPOUND_MIN_REST, len(word) - COMPOUND_MIN_TERM + 1):
            term = self._exact_term(word[cut:])
            if term:
                rest = word[:cut]
                if rest.endswith("s") and len(rest) > COMPOUND_MIN_REST:
                    rest = rest[:-1]
                return term, rest, "tail"
        return None

    def _unknown_part(self, words: list[str]) -> str:
        """The key part for a run of words the vocabulary does not know."""
        part = canonical_spelling(stem("".join(words)))
        if len(part) >= SKELETON_MIN_CHARS:
            reduced = skeleton(part)
            if len(reduced) >= SKELETON_MIN_CONSONANTS:
                return reduced
        return part

    def _pieces(self, tokens: list[str]) -> list[tuple[bool, str, int, int]]:
        """(is_term, text, first token, end token) pieces: vocabulary keys for matched word runs, plain words otherwise."""
        pieces: list[tuple[bool, str, int, int]] = []
        i = 0
        while i < len(tokens):
            for end in range(min(len(tokens), i + self.vocabulary.max_tokens), i, -1):
                matched = self.term_for("".join(tokens[i:end]))
                if matched:
                    pieces.append((True, matched, i, end))
                    i = end
                    break
            else:
                split = self.split(tokens[i]) if len(tokens[i]) >= COMPOUND_MIN_TERM + COMPOUND_MIN_REST else None
                if split is None:
                    pieces.append((False, tokens[i], i, i + 1))
                elif split[2] == "head":
                    pieces.extend([(True, split[0], i, i + 1), (False, split[1], i, i + 1)])
                else:
                    pieces.extend([(False, split[1], i, i + 1), (True, split[0], i, i + 1)])
                i += 1
        return pieces

    def spans(self, tokens: list[str]) -> list[tuple[str, frozenset[int]]]:
        """(key part, positions of the tokens it came from), in query order: known terms and glued runs of
        unknown words."""
        parts: list[tuple[str, frozenset[int]]] = []
        unknown: list[str] = []
        where: set[int] = set()
        for is_term, text, first, end in self._pieces(tokens):
            if not is_term:
                unknown.append(text)
                where.update(range(first, end))
                continue
            if unknown:
                parts.append((self._unknown_part(unknown), frozenset(where)))
                unknown, where = [], set()
            parts.append((text, frozenset(range(first, end))))
        if unknown:
            parts.append((self._unknown_part(unknown), frozenset(where)))
        return parts

    def parts(self, normalized: str) -> list[str]:
        """The key parts of a folded query, in query order: known terms and glued runs of unknown words."""
        return [part for part, _ in self.spans(content_tokens(normalized))]

    def _key(self, normalized: str) -> str:
        """The group key of a folded query ("" for an empty query)."""
        if not normalized:
            return ""
        return " ".join(sorted(set(self.parts(normalized))))

    def _subject(self, key: str) -> str:
        """The subject key of a group key: its specific subject terms, without modifiers and other words; with only
        broad terms (afval, subsidie), those and the unknown words that specify them; with no subject term, every
        part but the modifiers; the key itself when nothing remains.

        The subject of "paspoort spoed zaterdag" is the group key of "paspoort", so groups roll up onto it.
        """
        parts = key.split()
        vocabulary = self.vocabulary
        named = [p for p in parts if vocabulary.is_subject(p)]
        specific = [p for p in named if p not in vocabulary.broad]
        if specific:
            chosen = specific
        else:
            chosen = [p for p in parts if not vocabulary.is_facet(p)]
        return " ".join(chosen) if chosen else key

    def _subject_words(self, normalized: str) -> str:
        """The words of a folded query that name its subject ("verlopen paspoort" -> "paspoort"), in typed order."""
        tokens = content_tokens(normalized)
        spans = self.spans(tokens)
        wanted = set(self.subject(self.key(normalized)).split())
        kept = sorted({i for part, where in spans if part in wanted for i in where})
        return " ".join(tokens[i] for i in kept) if kept else normalized

    def topic(self, key: str) -> str | None:
        """The topic code of a group key from its vocabulary terms (the longest non-modifier wins), else None."""
        terms = [p for p in key.split() if self.vocabulary.topic(p)]
        main = [p for p in terms if not self.vocabulary.is_facet(p)] or terms
        if not main:
            return None
        chosen = min(main, key=lambda p: (-len(p), p))
        return self.vocabulary.topic(chosen)

    def analyse(self, text: str) -> tuple[str, str]:
        """(normalized, group key) of a raw query."""
        normalized = fold(text)
        return normalized, self.key(normalized)

    def subject_of(self, text: str) -> str:
        """The subject key of a raw query."""
        return self.subject(self.analyse(text)[1])


@lru_cache(maxsize=1)
def default_grouper() -> QueryGrouper:
    """The process-wide grouper over the shipped vocabulary."""
    return QueryGrouper()


def group_key(text: str) -> str:
    """The group key of a raw query with the shipped vocabulary."""
    return default_grouper().analyse(text)[1]


def group_subject(key: str) -> str:
    """The subject key of a group key with the shipped vocabulary."""
    return default_grouper().subject(key)


def subject_words(text: str) -> str:
    """The typed words of a raw query that name its subject (folded), for labels."""
    return default_grouper().subject_words(fold(text))


def group_topic(key: str) -> str | None:
    """The topic code of a group key from the shipped vocabulary, or None when it holds no known term."""
    return default_grouper().topic(key)
