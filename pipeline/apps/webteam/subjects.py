"""The subject level of the review: listed groups rolled up onto their subject, named by the words people typed.

A group's subject is a function of its key (`enrich.query.grouping`), so it is computed here when listing
rather than stored in a column; the enricher also writes it into each signal's `query.subject`.
"""
from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any, Callable, Iterable

from pipeline.enrich.query.grouping import default_grouper
from pipeline.enrich.query.normalise import fold

STATUS_ORDER: tuple[str, ...] = ("open", "handled", "ignored")


def subject_of(group: str) -> str:
    """The subject key of a group key."""
    return default_grouper().subject(group)


def _most(tally: Counter[str]) -> str:
    """The most frequent entry; ties go to the shortest, then alphabetical."""
    return min(tally.items(), key=lambda kv: (-kv[1], len(kv[0]), kv[0]))[0]


def subject_names(forms: dict[str, list[tuple[str, int]]]) -> dict[str, str]:
    """Per subject key: the words that name it most often in what residents typed (qualifiers left out), over
    every form of every group in the period; shown as typed when some search was exactly those words."""
    grouper = default_grouper()
    counts: dict[str, Counter[str]] = {}
    exact: dict[tuple[str, str], Counter[str]] = {}
    for group, listed in forms.items():
        subject = grouper.subject(group)
        tally = counts.setdefault(subject, Counter())
        for text, n in listed:
            folded = fold(text)
            words = grouper.subject_words(folded)
            if words:
                tally[words] += n
                if words == folded:
                    exact.setdefault((subject, words), Counter())[text.strip()] += n
    names = {}
    for subject, tally in counts.items():
        if tally:
            words = _most(tally)
            typed = exact.get((subject, words))
            names[subject] = _most(typed) if typed else words
    return names


def parse_iso(value: str | None) -> float | None:
    """Unix time of an ISO 8601 time with offset or 'Z', or None."""
    if not value:
        return None
    return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()


def _rate(zero: int, known: int) -> float | None:
    """Zero-result share rounded like the group rows, None without known counts."""
    return round(zero / known, 4) if known else None


def roll_up(rows: Iterable[dict[str, Any]], trend: Callable[[int, int, str | None], str],
            sort_key: Callable[[dict[str, Any]], Any], descending: bool) -> list[dict[str, Any]]:
    """Subject rows over already sorted group rows: totals of their listed groups, sorted like the groups.

    Each subject row lists its groups' keys in the groups' order; `trend(zero, previous zero, first seen)`
    classifies the subject's totals.
    """
    subjects: dict[str, dict[str, Any]] = {}
    topics: dict[str, Counter[str]] = {}
    for row in rows:
        key = row["subject"]
        entry = subjects.get(key)
        if entry is None:
            entry = subjects[key] = {"subject": key, "name": row["subject_name"], "searches": 0, "zero_results": 0,
                                     "searches_counted": 0, "previous_zero_results": 0, "first_seen": None,
                                     "groups": [], "statuses": Counter()}
            topics[key] = Counter()
        entry["searches"] += row["searches"]
        entry["zero_results"] += row["zero_results"]
        entry["searches_counted"] += row["searches_counted"]
        entry["previous_zero_results"] += row["previous_zero_results"]
        seen = parse_iso(row["first_seen"])
        if seen is not None and (entry["first_seen"] is None or seen < parse_iso(entry["first_seen"])):
            entry["first_seen"] = row["first_seen"]
        entry["groups"].append(row["group"])
        entry["statuses"][row["status"]] += 1
        topics[key][row["topic"]] += row["zero_results"] or 1
    result = []
    for key, entry in subjects.items():
        statuses: Counter[str] = entry.pop("statuses")
        entry["status"] = next(s for s in STATUS_ORDER if statuses[s]) if statuses else "open"
        entry["open_groups"] = statuses["open"]
        entry["topic"] = min(topics[key].items(), key=lambda kv: (-kv[1], kv[0]))[0]
        entry["zero_rate"] = _rate(entry["zero_results"], entry["searches_counted"])
        entry["trend"] = trend(entry["zero_results"], entry["previous_zero_results"], entry["first_seen"])
        result.append(entry)
    result.sort(key=sort_key, reverse=descending)
    return result
