"""Terms that are new in a window: document frequency now versus a decayed background per topic."""
from __future__ import annotations

import math
import re
from collections import Counter
from typing import Any, Iterable

TOKEN = re.compile(r"#?[^\W\d_][\w'-]{2,}", re.UNICODE)
MAX_TERMS_PER_DOC = 30
MIN_DOCS = 2
MIN_LIFT = 3.0
_RESCALE_EXPONENT = 200.0

# Function words written for this project (Dutch, with a few English ones); not topical, never "new".
STOPWORDS = frozenset("""
aan al alle alles als altijd andere ben bij daar daarom dan dat de der deze die dit doch doen door dus
een eens en er ge geen geweest haar had heb hebben heeft hem het hier hij hoe hun iemand iets ik in is
ja je jij jou jouw kan kon kunnen laat maar me meer men met mij mijn moet na naar niet niets nog nu of
om omdat onder ons ook op over reeds te tegen toch toen tot u uit uw van veel voor waar wat we wel
welke wie wij wil worden wordt zal ze zei zelf zich zij zijn zo zonder zou zoals weer even echt gewoon
graag via dus hoor heel vandaag morgen gisteren week keer jullie hun deze wordt gaat gaan komt komen
the and for you your with this that are was have has not but all can will just from they what when
""".split())


def doc_terms(doc: dict[str, Any]) -> set[str]:
    """Terms of one enriched signal: its `keywords` when present, else content words of its text."""
    keywords = doc.get("keywords")
    if isinstance(keywords, list) and keywords:
        words = [str(k).lower().strip() for k in keywords[:MAX_TERMS_PER_DOC] if isinstance(k, str)]
        return {w for w in words if w and w not in STOPWORDS}
    text = doc.get("text")
    if not isinstance(text, str):
        return set()
    terms: set[str] = set()
    for match in TOKEN.finditer(text.lower()):
        word = match.group().lstrip("#").strip("'-")
        if len(word) >= 3 and word not in STOPWORDS:
            terms.add(word)
            if len(terms) >= MAX_TERMS_PER_DOC:
                break
    return terms


class TermBackground:
    """Decayed document frequency of terms for one topic, capped at `capacity` terms.

    Decay is applied lazily: window `index` adds with weight exp((index - base) / tau), which is the same
    as shrinking everything older by exp(-1 / tau) per window; values are rescaled before they overflow.
    """

    def __init__(self, capacity: int, tau_windows: float, base: int = 0) -> None:
        """An empty background keeping `capacity` terms, forgetting over `tau_windows` windows."""
        self.capacity = capacity
        self.tau = tau_windows
        self.base = base
        self.docs = 0.0
        self.freq: dict[str, float] = {}

    def add_window(self, index: int, term_counts: Counter[str], docs: int) -> None:
        """Fold the term document-frequencies of window `index` into the background."""
        exponent = (index - self.base) / self.tau
        if exponent > _RESCALE_EXPONENT:
            self.rebase(index)
            exponent = 0.0
        weight = math.exp(exponent)
        self.docs += docs * weight
        for term, count in term_counts.items():
            self.freq[term] = self.freq.get(term, 0.0) + count * weight
        if len(self.freq) > 2 * self.capacity:
            keep = sorted(self.freq.items(), key=lambda kv: kv[1], reverse=True)[: self.capacity]
            self.freq = dict(keep)

    def rebase(self, index: int) -> None:
        """Express all values relative to window `index` (weight 1 there)."""
        factor = math.exp(-(index - self.base) / self.tau)
        self.base = index
        self.docs *= factor
        self.freq = {t: v * factor for t, v in self.freq.items() if v * factor > 1e-9}

    def rate(self, term: str) -> float:
        """Share of past documents (decayed) that contained `term`."""
        if self.docs <= 0:
            return 0.0
        return self.freq.get(term, 0.0) / self.docs

    def to_state(self) -> dict[str, Any]:
        """JSON-ready state."""
        return {"base": self.base, "docs": self.docs, "freq": dict(self.freq)}

    @classmethod
    def from_state(cls, state: dict[str, Any], capacity: int, tau_windows: float) -> "TermBackground":
        """Rebuild from to_state output."""
        bg = cls(capacity, tau_windows, int(state.get("base", 0)))
        bg.docs = float(state.get("docs", 0.0))
        bg.freq = {str(t): float(v) for t, v in (state.get("freq") or {}).items()}
        return bg


def new_terms(window_counts: Iterable[Counter[str]], window_docs: int, background: TermBackground | None,
              limit: int) -> list[str]:
    """Terms in at least two of the window's documents and at least MIN_LIFT times their usual share."""
    merged: Counter[str] = Counter()
    for counts in window_counts:
        merged.update(counts)
    scored = []
    for term, count in merged.items():
        if count < MIN_DOCS:
            continue
        usual = window_docs * (background.rate(term) if background else 0.0)
        lift = (count + 0.5) / (usual + 0.5)
        if lift >= MIN_LIFT:
            scored.append((lift * math.log1p(count), count, term))
    scored.sort(key=lambda item: (-item[0], -item[1], item[2]))
    return [term for _, _, term in scored[:limit]]
