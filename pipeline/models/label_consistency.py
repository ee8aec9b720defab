"""How consistently a labelled file labels near-identical texts: a ceiling on what any text model can learn."""
from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from pipeline.models.text_features import NgramTfidf

NEAR_DUPLICATE_COSINE = 0.9
MAX_BLOCK_CELLS = 20_000_000   # similarity cells computed at once (160 MB)
MAX_ROWS = 20_000               # larger files are compared on a fixed random sample of this many rows
SEED = 20240611
SHOWN_PAIRS = 5
SHOWN_EXAMPLES = 5


@dataclass(slots=True)
class LabelConsistency:
    """Rows whose most similar other row is near-identical, and how often that neighbour has another label."""

    threshold: float
    compared_rows: int = 0
    near_duplicate_rows: int = 0
    differing_rows: int = 0
    confused_pairs: list[tuple[str, str, int]] = field(default_factory=list)
    examples: list[tuple[int, int]] = field(default_factory=list)

    @property
    def differing_share(self) -> float:
        """Share of the near-duplicate rows whose neighbour carries another label (0 when there are none)."""
        return self.differing_rows / self.near_duplicate_rows if self.near_duplicate_rows else 0.0

    def to_dict(self) -> dict[str, Any]:
        """The figures for metadata.json (label names and row numbers only, never texts)."""
        return {"near_duplicate_cosine": self.threshold, "compared_rows": self.compared_rows,
                "near_duplicate_rows": self.near_duplicate_rows,
                "differing_rows": self.differing_rows, "differing_share": round(self.differing_share, 4),
                "confused_pairs": [[a, b, n] for a, b, n in self.confused_pairs],
                "example_rows": [list(pair) for pair in self.examples]}

    def to_text(self) -> str:
        """One paragraph for the training report."""
        if not self.near_duplicate_rows:
            return f"Label consistency: no two texts are near-identical (cosine >= {self.threshold:.2f})."
        sample = f" (a sample of {self.compared_rows} rows)" if self.compared_rows >= MAX_ROWS else ""
        text = (f"Label consistency{sample}: {self.near_duplicate_rows} rows have a near-identical other row "
                f"(cosine >= {self.threshold:.2f}); {self.differing_share:.1%} of them carry a different label.")
        if self.confused_pairs:
            pairs = "; ".join(f"{a} / {b}: {n}" for a, b, n in self.confused_pairs)
            text += f"\n  most often: {pairs}"
        if self.examples:
            text += "\n  e.g. file rows " + ", ".join(f"{a} and {b}" for a, b in self.examples)
        if self.differing_rows:
            text += ("\n  Reports that read the same but are labelled differently limit what any model can learn;"
                     " agreeing on one label for them helps more than another model.")
        return text


def label_consistency(texts: Sequence[str], labels: Sequence[str], rows: Sequence[int] | None = None,
                      threshold: float = NEAR_DUPLICATE_COSINE) -> LabelConsistency:
    """Compare each row with its most similar other row (word TF-IDF cosine); count near-identical pairs with
    different labels. `rows` are the file row numbers used in the examples (default: 1-based positions); files
    longer than MAX_ROWS are compared on a fixed random sample."""
    result = LabelConsistency(threshold=threshold)
    numbers = list(rows) if rows is not None and len(rows) == len(texts) else list(range(1, len(texts) + 1))
    if len(texts) > MAX_ROWS:
        keep = np.sort(np.random.default_rng(SEED).choice(len(texts), MAX_ROWS, replace=False))
        texts, labels, numbers = [texts[i] for i in keep], [labels[i] for i in keep], [numbers[i] for i in keep]
    result.compared_rows = len(texts)
    if len(texts) < 2:
        return result
    features = NgramTfidf(word_ngrams=(1, 1), char_ngrams=None, min_df=1).fit(texts)
    matrix = features.transform(texts)
    neighbour, similarity = _nearest(matrix)
    truth = np.asarray(labels, dtype=object)
    near = similarity >= threshold
    differs = near & (truth != truth[neighbour])
    result.near_duplicate_rows = int(near.sum())
    result.differing_rows = int(differs.sum())
    pairs: Counter[tuple[str, str]] = Counter()
    seen: set[tuple[int, int]] = set()
    for i in np.flatnonzero(differs):
        key = (int(min(i, neighbour[i])), int(max(i, neighbour[i])))
        if key in seen:
            continue
        seen.add(key)
        a, b = sorted((str(truth[i]), str(truth[neighbour[i]])))
        pairs[(a, b)] += 1
    result.confused_pairs = [(a, b, n) for (a, b), n in pairs.most_common(SHOWN_PAIRS)]
    result.examples = [(numbers[a], numbers[b]) for a, b in sorted(seen)[:SHOWN_EXAMPLES]]
    return result


def _nearest(matrix: Any) -> tuple[np.ndarray, np.ndarray]:
    """For each row of an L2-normalised sparse matrix: the index of its most similar other row and the cosine."""
    n_rows = matrix.shape[0]
    neighbour = np.zeros(n_rows, dtype=np.int64)
    similarity = np.zeros(n_rows)
    transposed = matrix.T.tocsc()
    chunk = max(1, MAX_BLOCK_CELLS // n_rows)
    for start in range(0, n_rows, chunk):
        stop = min(start + chunk, n_rows)
        block = (matrix[start:stop] @ transposed).toarray()
        block[np.arange(stop - start), np.arange(start, stop)] = -1.0
        neighbour[start:stop] = block.argmax(axis=1)
        similarity[start:stop] = block[np.arange(stop - start), neighbour[start:stop]]
    return neighbour, similarity
