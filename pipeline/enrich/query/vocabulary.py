"""The team's municipal search vocabulary: terms, their variants and topic codes, indexed for typo-tolerant look-up."""
from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Iterable

from pipeline.enrich.query.fuzzy import DeletionIndex
from pipeline.enrich.query.normalise import canonical_spelling, content_tokens, fold, stem

log = logging.getLogger(__name__)

VOCABULARY_PATH = Path(__file__).parent / "data" / "vocabulary.tsv"
BROAD_MIN_CHARS = 4
TOPIC_CODES: frozenset[str] = frozenset({
    "afval", "verkeer", "parkeren", "openbare_ruimte", "overlast", "burgerzaken", "belastingen",
    "vergunningen", "zorg", "werk_inkomen", "dienstverlening", "overig",
})


@dataclass(frozen=True, slots=True)
class Term:
    """One vocabulary term: group key, topic code, modifier flag (facet), spacing-free forms, most words in a form,
    and whether it names a kind of thing rather than a thing (broad: subsidie, ontheffing)."""

    key: str
    topic: str
    facet: bool
    forms: tuple[str, ...]
    span: int = 1
    broad: bool = False


def term_key(text: str) -> str:
    """The group key of a written term: folded, without stop words and spaces."""
    return "".join(content_tokens(fold(text)))


def match_forms(joined: str) -> tuple[str, ...]:
    """The look-up forms of a spacing-free string: canonical spelling, canonical stem, and the string as written."""
    return tuple(dict.fromkeys((canonical_spelling(joined), canonical_spelling(stem(joined)), joined)))


def parse_vocabulary(lines: list[str], source: str = "vocabulary") -> list[Term]:
    """Parse the TSV lines (term, topic, variants); bad lines are logged and skipped."""
    terms: list[Term] = []
    for number, line in enumerate(lines, 1):
        if not line.strip() or line.startswith("#"):
            continue
        parts = line.rstrip("\n").split("\t")
        if len(parts) < 2:
            log.error("%s line %d: expected term<TAB>topic<TAB>variants, got %r", source, number, line[:80])
            continue
        term, topic = parts[0].strip(), parts[1].strip()
        facet = topic.startswith("facet:")
        broad = topic.startswith("broad:")
        code = "" if topic in ("-", "facet:-") else topic.removeprefix("facet:").removeprefix("broad:")
        if code and code not in TOPIC_CODES:
            log.error("%s line %d: unknown topic code %r", source, number, code)
            continue
        variants = [v.strip() for v in (parts[2].split("|") if len(parts) > 2 else []) if v.strip()]
        key = term_key(term)
        if not key:
            log.error("%s line %d: empty term", source, number)
            continue
        written = [term, *variants]
        forms = tuple(dict.fromkeys(term_key(v) for v in written if term_key(v)))
        span = max(len(content_tokens(fold(v))) for v in written)
        terms.append(Term(key=key, topic=code, facet=facet, forms=forms, span=span, broad=broad))
    return terms


def broad_terms(terms: Iterable[Term]) -> frozenset[str]:
    """Subject terms marked broad, or part of another subject term's key (afval in afvalkalender, vergunning in
    kapvergunning): words for a kind of thing that give way to a more specific subject in the same query."""
    listed = [t for t in terms if t.topic and not t.facet]
    keys = [t.key for t in listed]
    return frozenset(t.key for t in listed if t.broad or (
        len(t.key) >= BROAD_MIN_CHARS and any(t.key != o and t.key in o for o in keys)))


class Vocabulary:
    """Terms by key plus a deletion index over the canonical forms, for exact and typo-tolerant look-up."""

    def __init__(self, terms: list[Term]) -> None:
        """Index the terms; a repeated key keeps its first definition."""
        self.terms: dict[str, Term] = {}
        self.index = DeletionIndex(depth=2)
        self.max_tokens = 1
        for term in terms:
            if term.key in self.terms:
                log.warning("vocabulary: term %r listed twice; keeping the first", term.key)
                continue
            self.terms[term.key] = term
            for form in term.forms:
                for variant in match_forms(form):
                    self.index.add(variant, term.key)
            self.max_tokens = max(self.max_tokens, term.span)
        self.broad = broad_terms(self.terms.values())

    def topic(self, key: str) -> str | None:
        """The topic code of a term key, or None when the key is not a vocabulary term."""
        term = self.terms.get(key)
        return term.topic if term and term.topic else None

    def is_facet(self, key: str) -> bool:
        """True when the key is a modifier term such as "aanvragen" or "kosten"."""
        term = self.terms.get(key)
        return bool(term and term.facet)

    def is_subject(self, key: str) -> bool:
        """True when the key is a vocabulary term that names a subject (a topic term, not a modifier or guard)."""
        term = self.terms.get(key)
        return bool(term and term.topic and not term.facet)

    def collisions(self) -> dict[str, set[str]]:
        """Canonical forms that more than one term claims (should be empty for a clean vocabulary)."""
        clashes: dict[str, set[str]] = {}
        for term in self.terms.values():
            for form in term.forms:
                for variant in match_forms(form):
                    labels = self.index.exact(variant)
                    if len(labels) > 1:
                        clashes[variant] = set(labels)
        return clashes


@lru_cache(maxsize=4)
def load_vocabulary(path: Path = VOCABULARY_PATH) -> Vocabulary:
    """Load and index the vocabulary file once per path; a missing file gives an empty vocabulary (logged)."""
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except OSError as err:
        log.error("search vocabulary not readable (%s); grouping falls back to spelling rules only", err)
        lines = []
    return Vocabulary(parse_vocabulary(lines, str(path)))
