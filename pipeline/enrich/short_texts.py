"""A bounded memo for results computed from short texts alone (site-search queries, meta fields).

Short texts repeat a lot in a municipality's stream ("paspoort", "afvalkalender", a call-centre team
name in every call note's meta), so the enricher keeps what it derived from each one. Only pure
functions of the text may be memoised: the result must not depend on anything else.
"""
from __future__ import annotations

from typing import Callable, Generic, TypeVar

T = TypeVar("T")

SHORT_TEXT_CHARS = 40       # longer texts (most posts and notes) rarely repeat exactly; not memoised
MAX_ENTRIES = 5_000         # the memo starts afresh when it is full (a few MB at most)


class ShortTextMemo(Generic[T]):
    """`get(text, compute)`: compute(text) once per distinct short text; long texts are always computed."""

    def __init__(self, max_chars: int = SHORT_TEXT_CHARS, max_entries: int = MAX_ENTRIES) -> None:
        """Memoise texts of at most `max_chars` characters, keeping at most `max_entries` results."""
        self.max_chars = max_chars
        self.max_entries = max_entries
        self._results: dict[str, T] = {}

    def get(self, text: str, compute: Callable[[str], T]) -> T:
        """The memoised compute(text) for a short text; exceptions propagate and nothing is kept."""
        if len(text) > self.max_chars:
            return compute(text)
        result = self._results.get(text)
        if result is None:
            result = compute(text)
            if len(self._results) >= self.max_entries:
                self._results.clear()
            self._results[text] = result
        return result

    def __len__(self) -> int:
        """How many results are kept."""
        return len(self._results)
