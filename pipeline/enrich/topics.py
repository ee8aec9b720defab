"""Topic v1: the TopicModel protocol and a keyword/taxonomy model over Dutch stems (data/taxonomy.json)."""
from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from pipeline.enrich.text import bare, clean_text, is_word, read_data, stem, stem_tokens, tokenize

OVERIG = "overig"
TOPIC_CODES: tuple[str, ...] = (
    "afval", "verkeer", "parkeren", "openbare_ruimte", "overlast", "burgerzaken", "belastingen",
    "vergunningen", "zorg", "werk_inkomen", "dienstverlening", "overig",
)
NO_HIT_CONFIDENCE = 0.1
TOP_N = 3

WEIGHT_KEYWORD = 1.0
WEIGHT_PHRASE = 1.5
WEAK_FACTOR = 0.5
COMPOUND_HEAD_FACTOR = 0.8   # keyword as the first part: "parkeer|vergunning" -> parkeren
COMPOUND_TAIL_FACTOR = 0.6   # keyword as the last part: "verkeers|drempel"
MIN_PART = 5                 # shortest keyword used as a compound part
MIN_REST = 4                 # shortest remainder of a compound beside the keyword
MIN_COMPOUND = 8             # shortest token analysed as a compound
MAX_COMPOUND = 40            # longest token analysed as a compound
MIN_JOINED = 7               # shortest compound keyword also matched when written as two words
EVIDENCE_PRIOR = 0.5         # unexplained mass that keeps one weak hit from looking certain
EVIDENCE_RATE = 1.2          # how fast confidence saturates with evidence

Ranked = list[tuple[str, str, float]]
_INFLECTIONS = ("", "en", "s", "e", "n", "'s")


@runtime_checkable
class TopicModel(Protocol):
    """Anything that ranks topics for texts: (code, label, probability), best first."""

    def predict(self, texts: list[str]) -> list[Ranked]:
        """One ranked list per text."""
        ...


@dataclass(frozen=True, slots=True)
class Subtopic:
    """A subtopic below a top-level topic code."""

    code: str
    label: str


@dataclass(frozen=True, slots=True)
class Topic:
    """A top-level topic of the taxonomy."""

    code: str
    label: str
    description: str
    subtopics: tuple[Subtopic, ...]


@dataclass(frozen=True, slots=True)
class Hit:
    """One keyword's contribution: topic index, subtopic index (-1: topic level) and weight."""

    topic: int
    subtopic: int
    weight: float


@dataclass(slots=True)
class TopicAnalysis:
    """The keyword model's result for one text."""

    ranked: Ranked
    subtopic: Subtopic | None
    best_subtopics: dict[str, Subtopic] = field(default_factory=dict)
    positions: frozenset[int] = frozenset()

    def subtopic_for(self, code: str) -> Subtopic | None:
        """The best keyword subtopic under `code`, if any keyword of it was seen."""
        return self.best_subtopics.get(code)


class Taxonomy:
    """The topic tree and its keyword index, loaded from a taxonomy document."""

    def __init__(self, document: dict[str, Any]) -> None:
        self.version: str = document.get("version", "keywords-1")
        self.topics: list[Topic] = []
        self.exact: dict[str, list[Hit]] = {}
        self.by_stem: dict[str, list[Hit]] = {}
        self.phrases: dict[str, list[tuple[tuple[str, ...], Hit]]] = {}
        self.parts: dict[str, list[Hit]] = {}
        self.joined: dict[str, list[Hit]] = {}
        self.compound_exceptions = frozenset(w.lower() for w in document.get("compound_exceptions", []))
        for t_index, entry in enumerate(document.get("topics", [])):
            _require_code_and_label(entry, f"topic {t_index}")
            for s_index, sub in enumerate(entry.get("subtopics", [])):
                _require_code_and_label(sub, f"subtopic {s_index} of topic {entry['code']!r}")
            subs = tuple(Subtopic(s["code"], s["label"]) for s in entry.get("subtopics", []))
            self.topics.append(Topic(entry["code"], entry["label"], entry.get("description", ""), subs))
            self._index(entry.get("keywords", []), t_index, -1, 1.0)
            self._index(entry.get("weak", []), t_index, -1, WEAK_FACTOR)
            for s_index, sub in enumerate(entry.get("subtopics", [])):
                self._index(sub.get("keywords", []), t_index, s_index, 1.0)
                self._index(sub.get("weak", []), t_index, s_index, WEAK_FACTOR)
        for phrase_list in self.phrases.values():
            phrase_list.sort(key=lambda item: -len(item[0]))
        self.labels = {t.code: t.label for t in self.topics}
        if OVERIG not in self.labels:
            self.topics.append(Topic(OVERIG, "Overig", "", ()))
            self.labels[OVERIG] = "Overig"

    @classmethod
    def bundled(cls) -> "Taxonomy":
        """The taxonomy shipped in data/taxonomy.json."""
        return cls(json.loads(read_data("taxonomy.json")))

    def _index(self, keywords: list[str], t_index: int, s_index: int, factor: float) -> None:
        """Add keywords of one (sub)topic to the exact, stem, phrase, joined and compound-part indexes."""
        for keyword in keywords:
            exact = keyword.startswith("=")
            words = [bare(t) for t in tokenize(keyword.lstrip("=")) if is_word(bare(t))]
            if not words:
                continue
            if exact:
                _put(self.exact, words[0], Hit(t_index, s_index, WEIGHT_KEYWORD * factor))
            elif len(words) == 1:
                hit = Hit(t_index, s_index, WEIGHT_KEYWORD * factor)
                word = words[0]
                _put(self.by_stem, stem(word), hit)
                if "-" not in word and "'" not in word:
                    for form in {word, stem(word)}:
                        if len(form) >= MIN_PART:
                            _put(self.parts, form, hit)
                    if len(word) >= MIN_JOINED:
                        for ending in _INFLECTIONS:
                            _put(self.joined, word + ending, hit)
            else:
                stems = tuple(stem(w) for w in words)
                entries = self.phrases.setdefault(stems[0], [])
                if all(existing != stems for existing, _ in entries):
                    entries.append((stems, Hit(t_index, s_index, WEIGHT_PHRASE * factor)))


def _require_code_and_label(entry: Any, where: str) -> None:
    """Raise ValueError naming `where` unless the entry is an object with string code and label."""
    if not isinstance(entry, dict) or not isinstance(entry.get("code"), str) or not isinstance(entry.get("label"), str):
        raise ValueError(f"taxonomy: {where} needs a string 'code' and 'label'")


def _put(index: dict[str, list[Hit]], key: str, hit: Hit) -> None:
    """Add a hit under key; one hit per (topic, subtopic) and key, keeping the larger weight."""
    hits = index.setdefault(key, [])
    for n, existing in enumerate(hits):
        if existing.topic == hit.topic and existing.subtopic == hit.subtopic:
            if hit.weight > existing.weight:
                hits[n] = hit
            return
    hits.append(hit)


def _scaled(hits: list[Hit], factor: float) -> list[Hit]:
    """The same hits with their weight multiplied by `factor`."""
    return [Hit(h.topic, h.subtopic, h.weight * factor) for h in hits]


def _lookup_inflected(parts: dict[str, list[Hit]], word: str) -> list[Hit] | None:
    """Parts matching `word` as is or without a plural/inflection ending."""
    for ending in _INFLECTIONS:
        if not ending:
            found = parts.get(word)
        elif word.endswith(ending) and len(word) - len(ending) >= MIN_PART:
            found = parts.get(word[:-len(ending)])
        else:
            continue
        if found:
            return found
    return None


class KeywordTopicModel:
    """Scores topics by keyword, phrase and compound-part hits; implements TopicModel."""

    def __init__(self, taxonomy: Taxonomy | None = None) -> None:
        self.taxonomy = taxonomy or Taxonomy.bundled()
        self.version = self.taxonomy.version
        self._token_cache: dict[str, list[Hit]] = {}
        # Every proper prefix of a joined compound: a token outside it cannot start a two-word compound.
        self._joined_heads = frozenset(key[:end] for key in self.taxonomy.joined for end in range(1, len(key)))
        self._overig = next(i for i, t in enumerate(self.taxonomy.topics) if t.code == OVERIG)

    def predict(self, texts: list[str]) -> list[Ranked]:
        """Ranked (code, label, confidence) per text."""
        return [self.analyse(text).ranked for text in texts]

    def analyse(self, text: str) -> TopicAnalysis:
        """Tokenise `text` and analyse it."""
        return self.analyse_tokens(tokenize(clean_text(text)))

    def analyse_tokens(self, tokens: list[str], stems: list[str] | None = None) -> TopicAnalysis:
        """Topic ranking, subtopic and the positions of the tokens that matched, for lower-case tokens."""
        if stems is None or len(stems) != len(tokens):
            stems = stem_tokens(tokens)
        phrases, joined, cache = self.taxonomy.phrases, self.taxonomy.joined, self._token_cache
        heads = self._joined_heads
        starts = list(map(phrases.get, stems))   # phrase candidates and cached hits, looked up in C
        known = list(map(cache.get, tokens))
        matched: list[tuple[int, int, list[Hit]]] = []   # (first position, size, hits)
        i, n = 0, len(tokens)
        while i < n:
            candidates = starts[i]
            if candidates:
                size = self._phrase_size(candidates, stems, i, matched)
                if size:
                    i += size
                    continue
            token = tokens[i]
            if token in heads and i + 1 < n:
                pair = joined.get(token + tokens[i + 1])
                if pair:
                    matched.append((i, 2, pair))
                    i += 2
                    continue
            hits = known[i]
            if hits is None:
                hits = cache.get(token)   # a repeated token may have been analysed a moment ago
                if hits is None:
                    hits = self._token_hits(token, stems[i])
            if hits:
                matched.append((i, 1, hits))
            i += 1
        return self._score(matched)

    @staticmethod
    def _phrase_size(candidates: list[tuple[tuple[str, ...], Hit]], stems: list[str], i: int,
                     matched: list[tuple[int, int, list[Hit]]]) -> int:
        """Length of the longest phrase starting at position i (0: none); records the match."""
        n = len(stems)
        for phrase, hit in candidates:
            size = len(phrase)
            # the second word first: most candidates fail there, before a tuple of the stems is built
            if i + size <= n and (size == 1 or stems[i + 1] == phrase[1]) and tuple(stems[i:i + size]) == phrase:
                matched.append((i, size, [hit]))
                return size
        return 0

    def _score(self, matched: list[tuple[int, int, list[Hit]]]) -> TopicAnalysis:
        """Sum the matched hits per topic and subtopic."""
        topic_scores: dict[int, float] = {}
        sub_scores: dict[tuple[int, int], float] = {}
        positions: set[int] = set()
        for first, size, hits in matched:
            positions.update(range(first, first + size))
            for hit in hits:
                topic_scores[hit.topic] = topic_scores.get(hit.topic, 0.0) + hit.weight
                if hit.subtopic >= 0:
                    key = (hit.topic, hit.subtopic)
                    sub_scores[key] = sub_scores.get(key, 0.0) + hit.weight
        return self._result(topic_scores, sub_scores, frozenset(positions))

    def _token_hits(self, token: str, token_stem: str) -> list[Hit]:
        """Hits of one token (exact form, stem, else compound parts); cached per token, [] for non-words."""
        word = bare(token)
        tax = self.taxonomy
        if not is_word(word):
            hits: list[Hit] = []
        else:
            hits = tax.exact.get(word, []) + tax.by_stem.get(token_stem, [])
            if (not hits and MIN_COMPOUND <= len(word) <= MAX_COMPOUND
                    and word not in tax.compound_exceptions):
                hits = self._compound_hits(word)
        if len(self._token_cache) >= 200_000:
            self._token_cache.clear()
        self._token_cache[token] = hits
        return hits

    def _compound_hits(self, token: str) -> list[Hit]:
        """Hits for a compound: a keyword as its first part (longest) or as its last part (longest)."""
        tax = self.taxonomy
        if "-" in token:
            hits: list[Hit] = []
            for part in token.split("-"):
                if len(part) >= 3:
                    hits.extend(_scaled(tax.exact.get(part, []) + tax.by_stem.get(stem(part), []),
                                        COMPOUND_HEAD_FACTOR))
            return hits
        if not token.isalpha():
            return []
        parts = tax.parts
        head: list[Hit] = []
        for end in range(len(token) - MIN_REST, MIN_PART - 1, -1):
            found = parts.get(token[:end])
            if found:
                head = _scaled(found, COMPOUND_HEAD_FACTOR)
                break
        tail: list[Hit] = []
        for start in range(3, len(token) - MIN_PART + 1):
            found = _lookup_inflected(parts, token[start:])
            if found:
                tail = _scaled(found, COMPOUND_TAIL_FACTOR)
                break
        return head + tail

    def _result(self, topic_scores: dict[int, float], sub_scores: dict[tuple[int, int], float],
                positions: frozenset[int]) -> TopicAnalysis:
        """Turn raw scores into ranked confidences and the best subtopics."""
        topics = self.taxonomy.topics
        if not topic_scores:
            overig = topics[self._overig]
            return TopicAnalysis([(overig.code, overig.label, NO_HIT_CONFIDENCE)], None, {}, positions)
        evidence = sum(topic_scores.values())
        strength = 1.0 - math.exp(-EVIDENCE_RATE * evidence)
        order = sorted(topic_scores, key=lambda t: (-topic_scores[t], t))
        ranked = [
            (topics[t].code, topics[t].label, round(topic_scores[t] / (evidence + EVIDENCE_PRIOR) * strength, 3))
            for t in order[:TOP_N]
        ]
        best: dict[str, Subtopic] = {}
        best_score: dict[int, float] = {}
        for (t, s), score in sorted(sub_scores.items()):
            if score > best_score.get(t, 0.0):
                best_score[t] = score
                best[topics[t].code] = topics[t].subtopics[s]
        return TopicAnalysis(ranked, best.get(ranked[0][0]), best, positions)
