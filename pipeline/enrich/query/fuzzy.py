"""Typo tolerance: edit distance with transpositions and a deletion index for fast near-neighbour look-up."""
from __future__ import annotations

from collections import defaultdict
from typing import Iterable


def edit_distance(a: str, b: str, limit: int = 3) -> int:
    """Optimal-string-alignment distance (insert, delete, substitute, swap adjacent); stops early above `limit`."""
    if a == b:
        return 0
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    start = 0
    shortest = min(len(a), len(b))
    while start < shortest and a[start] == b[start]:
        start += 1
    end = 0
    while end < shortest - start and a[-1 - end] == b[-1 - end]:
        end += 1
    a, b = a[start:len(a) - end], b[start:len(b) - end]
    if not a or not b:
        return max(len(a), len(b))
    return _banded_distance(a, b, limit)


def _banded_distance(a: str, b: str, limit: int) -> int:
    """The OSA distance computed only within `limit` of the diagonal; anything above `limit` is `limit + 1`."""
    over = limit + 1
    width = len(b)
    previous2: list[int] = []
    previous = [j if j <= limit else over for j in range(width + 1)]
    for i in range(1, len(a) + 1):
        ca = a[i - 1]
        current = [over] * (width + 1)
        current[0] = i if i <= limit else over
        low, high = max(1, i - limit), min(width, i + limit)
        best = current[0]
        for j in range(low, high + 1):
            cb = b[j - 1]
            value = previous[j - 1] + (ca != cb)
            if previous[j] + 1 < value:
                value = previous[j] + 1
            if current[j - 1] + 1 < value:
                value = current[j - 1] + 1
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb and previous2[j - 2] + 1 < value:
                value = previous2[j - 2] + 1
            current[j] = value if value < over else over
            if value < best:
                best = value
        if best > limit:
            return over
        previous2, previous = previous, current
    return previous[width] if previous[width] <= limit else over


def deletions(word: str, depth: int) -> set[str]:
    """All strings made by deleting up to `depth` characters from `word` (the word itself included)."""
    found = {word}
    frontier = {word}
    for _ in range(depth):
        frontier = {w[:i] + w[i + 1:] for w in frontier for i in range(len(w))}
        found |= frontier
    return found


class DeletionIndex:
    """Maps strings to labels and finds the labels of strings within a small edit distance (SymSpell idea).

    Only the first `prefix` characters are expanded into deletions; every candidate is then verified
    with the full edit distance, which keeps both the index and a look-up small for long compounds.
    """

    def __init__(self, depth: int = 2, prefix: int = 9) -> None:
        """An empty index for distances up to `depth`, expanding the first `prefix` characters."""
        self.depth = depth
        self.prefix = prefix
        self._exact: dict[str, set[str]] = defaultdict(set)
        self._by_deletion: list[dict[str, set[str]]] = [defaultdict(set) for _ in range(depth + 1)]

    def add(self, form: str, label: str) -> None:
        """Index `form` as a way of writing `label`."""
        if form in self._exact:
            self._exact[form].add(label)
            return
        self._exact[form].add(label)
        head = form[:self.prefix]
        frontier = {head}
        for level in range(1, self.depth + 1):
            frontier = {w[:i] + w[i + 1:] for w in frontier for i in range(len(w))}
            for deleted in frontier:
                for index in self._by_deletion[level:]:
                    index[deleted].add(form)
        for index in self._by_deletion[1:]:
            index[head].add(form)

    def add_all(self, forms: Iterable[str], label: str) -> None:
        """Index several forms of one label."""
        for form in forms:
            self.add(form, label)

    def exact(self, form: str) -> set[str]:
        """Labels written exactly as `form`."""
        return self._exact.get(form, set())

    def near(self, query: str, max_distance: int) -> list[tuple[int, str, str]]:
        """(distance, form, label) for indexed forms within `max_distance` of `query`, nearest first."""
        if max_distance <= 0:
            return [(0, query, label) for label in sorted(self.exact(query))]
        depth = min(max_distance, self.depth)
        index = self._by_deletion[depth]
        candidates: set[str] = set()
        for deleted in deletions(query[:self.prefix], depth):
            found = index.get(deleted)
            if found:
                candidates |= found
        hits: list[tuple[int, str, str]] = []
        for form in candidates:
            if abs(len(form) - len(query)) > max_distance:
                continue
            distance = edit_distance(query, form, max_distance)
            if distance <= max_distance:
                hits.extend((distance, form, label) for label in self._exact[form])
        hits.sort()
        return hits
