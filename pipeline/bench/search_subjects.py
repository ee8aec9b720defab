"""Measures of the subject roll-up: the team's labelled subject pairs, and two reference lists read only.

- Labelled pairs (`enrich/query/data/subject_pairs.tsv`): a qualified need and its bare subject (or two needs of
  one subject) should share a subject; needs of different subjects (often with the same qualifier) should not.
- Uniform product names (UPL, the municipal ones): a name that is another name plus words ("adoptie" and
  "adoptie aangifte") should roll up onto that name's subject (recall); two names that share a subject should
  share their first word or be such a pair (precision, a proxy).
- Mijn Amsterdam keywords (keyword -> page): keywords that share a subject should lead to the same page (purity).
Before the roll-up existed, the only shared key was the group key; it is reported beside the subject.
"""
from __future__ import annotations

import csv
import logging
from collections import defaultdict
from itertools import combinations
from pathlib import Path
from typing import Any, Callable

from pipeline.enrich.query.grouping import QueryGrouper
from pipeline.enrich.query.normalise import fold

log = logging.getLogger(__name__)

SUBJECT_PAIRS_PATH = Path(__file__).resolve().parents[1] / "enrich" / "query" / "data" / "subject_pairs.tsv"
UPL_FILE = "upl_uniforme_productnamenlijst.csv"
KEYWORDS_FILE = "mijn_amsterdam_search_keywords.csv"


def keyers(grouper: QueryGrouper) -> dict[str, Callable[[str], str]]:
    """The two keys compared: the group key (spelling variants only) and the subject key (the roll-up)."""
    return {"group": lambda q: grouper.analyse(q)[1], "subject": grouper.subject_of}


def upl_names(folder: Path) -> list[str]:
    """The distinct municipal product names of the UPL file (Gemeente column 'X'); [] when absent."""
    path = folder / UPL_FILE
    if not path.exists():
        return []
    with open(path, encoding="utf-8", newline="") as handle:
        return sorted({row["UniformeProductnaam"].strip() for row in csv.DictReader(handle)
                       if row.get("Gemeente") == "X" and row.get("UniformeProductnaam", "").strip()})


def upl_scores(names: list[str], key: Callable[[str], str]) -> dict[str, Any]:
    """Roll-up recall over (name + words, name) pairs and first-word precision over names sharing a key."""
    folded = {name: fold(name) for name in names}
    pairs = [(c, p) for c in names for p in names if c != p and folded[c].startswith(folded[p] + " ")]
    keys = {name: key(name) for name in names}
    rolled = sum(keys[c] == keys[p] for c, p in pairs)
    by_key: dict[str, list[str]] = defaultdict(list)
    for name, value in keys.items():
        by_key[value].append(name)
    shared = agreeing = 0
    related = set(pairs) | {(p, c) for c, p in pairs}
    for members in by_key.values():
        for a, b in combinations(members, 2):
            shared += 1
            agreeing += (folded[a].split()[:1] == folded[b].split()[:1]) or (a, b) in related
    return {"names": len(names), "pairs": len(pairs), "rolled_up": rolled,
            "recall": rolled / len(pairs) if pairs else None,
            "shared_pairs": shared, "precision": agreeing / shared if shared else None,
            "misses": [(c, p) for c, p in pairs if keys[c] != keys[p]]}


def keyword_pages(folder: Path) -> list[tuple[str, str]]:
    """(keyword, page url) rows of the Mijn Amsterdam keyword file; [] when absent."""
    path = folder / KEYWORDS_FILE
    if not path.exists():
        return []
    with open(path, encoding="utf-8", newline="") as handle:
        return [(row["text"], row["url"]) for row in csv.DictReader(handle) if row.get("text") and row.get("url")]


def purity(rows: list[tuple[str, str]], key: Callable[[str], str]) -> dict[str, Any]:
    """Pairs of keywords sharing a key, and the share of them that lead to the same page."""
    by_key: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for text, url in rows:
        by_key[key(text)].append((text, url))
    shared = same = 0
    mixed: list[list[str]] = []
    for members in by_key.values():
        pages = {url for _, url in members}
        if len(pages) > 1:
            mixed.append(sorted({text for text, _ in members}))
        for (_, u1), (_, u2) in combinations(members, 2):
            shared += 1
            same += u1 == u2
    return {"keywords": len(rows), "keys": len(by_key), "shared_pairs": shared,
            "purity": same / shared if shared else None, "mixed": mixed}


def reference_figures(folder: Path, grouper: QueryGrouper) -> dict[str, Any]:
    """UPL and Mijn Amsterdam figures for the group key and the subject key."""
    names, rows = upl_names(folder), keyword_pages(folder)
    figures: dict[str, Any] = {}
    for label, key in keyers(grouper).items():
        figures[label] = {"upl": upl_scores(names, key) if names else None,
                          "keywords": purity(rows, key) if rows else None}
    return figures
