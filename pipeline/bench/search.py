"""Benchmark of search-query grouping: pairwise precision/recall, real queries grouped, and speed on 100k queries.

Targets (issue 7): precision and recall >= 0.90 on the labelled pairs; 100,000 queries grouped in <= 10 s.
The real queries (the `search/` folder of the reference data given with --data DIR) are read only, never
copied; that part is skipped when no folder is given or it is absent.
"""
from __future__ import annotations

import csv
import logging
import random
import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable

import click

from pipeline.bench.search_subjects import SUBJECT_PAIRS_PATH, reference_figures
from pipeline.enrich.query.grouping import QueryGrouper
from pipeline.enrich.query.vocabulary import load_vocabulary
from pipeline.enrich.search_query import analyse_query

log = logging.getLogger(__name__)

PAIRS_PATH = Path(__file__).resolve().parents[1] / "enrich" / "query" / "data" / "pairs.tsv"
TARGET_PRECISION = 0.90
TARGET_RECALL = 0.90
TARGET_SECONDS = 10.0
_LETTERS = "abcdefghijklmnopqrstuvwxyz"
_ACCENTS = {"e": "é", "a": "á", "o": "ö", "i": "ï", "u": "ü"}


@dataclass(frozen=True, slots=True)
class PairScore:
    """Pairwise confusion counts with precision and recall."""

    true_pos: int
    false_pos: int
    false_neg: int
    true_neg: int
    misses: tuple[tuple[str, str, int], ...]

    @property
    def precision(self) -> float:
        """Share of predicted same-group pairs that are labelled same."""
        predicted = self.true_pos + self.false_pos
        return self.true_pos / predicted if predicted else 1.0

    @property
    def recall(self) -> float:
        """Share of labelled same-group pairs that were grouped together."""
        actual = self.true_pos + self.false_neg
        return self.true_pos / actual if actual else 1.0


def read_pairs(path: Path = PAIRS_PATH) -> list[tuple[str, str, int]]:
    """The labelled pairs (a, b, same) from a TSV with header a, b, same; bad rows are logged and skipped."""
    pairs = []
    with open(path, encoding="utf-8", newline="") as handle:
        for number, row in enumerate(csv.DictReader(handle, delimiter="\t"), 2):
            if row.get("same") not in ("0", "1") or not row.get("a") or not row.get("b"):
                log.warning("%s line %d: expected a, b, same (0/1); skipped", path, number)
                continue
            pairs.append((row["a"], row["b"], int(row["same"])))
    return pairs


def score_pairs(pairs: Iterable[tuple[str, str, int]], grouper: QueryGrouper,
                key: Callable[[str], str] | None = None) -> PairScore:
    """Pairwise precision/recall: a pair is predicted 'same' when both get one key (default: the group key)."""
    keyed = key or (lambda query: grouper.analyse(query)[1])
    counts: Counter[tuple[bool, bool]] = Counter()
    misses = []
    for a, b, same in pairs:
        predicted = keyed(a) == keyed(b)
        counts[(predicted, bool(same))] += 1
        if predicted != bool(same):
            misses.append((a, b, same))
    return PairScore(counts[(True, True)], counts[(True, False)], counts[(False, True)], counts[(False, False)],
                     tuple(misses))


def read_real_queries(folder: Path) -> list[str]:
    """Query texts from the reference data: the TSV's Query column and the keyword CSV's text column."""
    queries: list[str] = []
    for path in sorted(folder.glob("*.tsv")):
        with open(path, encoding="utf-8", newline="") as handle:
            reader = csv.DictReader(handle, delimiter="\t")
            column = next((c for c in (reader.fieldnames or []) if c.lower() == "query"), None)
            if column:
                queries.extend(row[column] for row in reader if row.get(column))
    keywords = folder / "mijn_amsterdam_search_keywords.csv"
    if keywords.exists():
        with open(keywords, encoding="utf-8", newline="") as handle:
            queries.extend(row["text"] for row in csv.DictReader(handle) if row.get("text"))
    return queries


def group_queries(queries: list[str], grouper: QueryGrouper) -> dict[str, Counter]:
    """Group key -> Counter of the raw queries in it."""
    groups: dict[str, Counter] = defaultdict(Counter)
    for query in queries:
        groups[grouper.analyse(query)[1]][query.strip()] += 1
    return groups


def perturb(query: str, rng: random.Random) -> str:
    """A realistic variant: a typo, a case change, a removed or added space, or an accent; often unchanged."""
    roll = rng.random()
    chars = list(query)
    if roll < 0.25 and len(chars) > 3:
        i = rng.randrange(len(chars))
        kind = rng.randrange(4)
        if kind == 0:
            del chars[i]
        elif kind == 1:
            chars.insert(i, rng.choice(_LETTERS))
        elif kind == 2:
            chars[i] = rng.choice(_LETTERS)
        elif i + 1 < len(chars):
            chars[i], chars[i + 1] = chars[i + 1], chars[i]
        return "".join(chars)
    if roll < 0.35:
        return query.upper() if rng.random() < 0.5 else query.capitalize()
    if roll < 0.45:
        if " " in query:
            return query.replace(" ", "", 1)
        cut = rng.randrange(1, len(query)) if len(query) > 1 else 1
        return query[:cut] + " " + query[cut:]
    if roll < 0.5:
        return "".join(_ACCENTS.get(c, c) if rng.random() < 0.3 else c for c in query)
    return query


def synthetic_queries(count: int, seed: int = 7) -> list[str]:
    """`count` queries made from the project's own pairs and vocabulary, repeated with a Zipf-like skew and perturbed."""
    bases = sorted({q for a, b, _ in read_pairs() for q in (a, b)}
                   | {form for term in load_vocabulary().terms.values() for form in term.forms[:2]})
    rng = random.Random(seed)
    weights = [1.0 / (rank + 1) for rank in range(len(bases))]
    rng.shuffle(bases)
    picked = rng.choices(bases, weights=weights, k=count)
    return [perturb(q, rng) for q in picked]


def run_benchmark(count: int = 100_000, sample: int = 10, data_dir: Path | None = None) -> dict[str, Any]:
    """Run all three parts and return the figures (also used by the click command).

    The speed part groups the synthetic stream with a fresh grouper (empty caches), then runs
    `analyse_query` over the same stream twice as the enricher would (first pass: only the shared
    word-level caches are warm; second pass: everything cached).
    """
    figures: dict[str, Any] = {}
    started = time.perf_counter()
    grouper = QueryGrouper(load_vocabulary())
    figures["load_seconds"] = time.perf_counter() - started
    score = score_pairs(read_pairs(), grouper)
    figures["pairs"] = score
    figures["subject_pairs"] = score_pairs(read_pairs(SUBJECT_PAIRS_PATH), grouper, grouper.subject_of)
    if data_dir is not None and data_dir.is_dir():
        figures["subject_reference"] = reference_figures(data_dir, grouper)
        real = read_real_queries(data_dir)
        groups = group_queries(real, grouper)
        figures["real"] = {"queries": len(real), "distinct": len({q.strip() for q in real}), "groups": len(groups),
                           "sample": sorted(groups.items(), key=lambda kv: -sum(kv[1].values()))[:sample]}
    queries = synthetic_queries(count)
    cold = QueryGrouper(load_vocabulary())
    started = time.perf_counter()
    keys = [cold.analyse(q)[1] for q in queries]
    figures["speed"] = {"queries": len(queries), "distinct": len(set(queries)), "groups": len(set(keys)),
                        "seconds": time.perf_counter() - started}
    for label in ("enrich_seconds", "enrich_warm_seconds"):
        started = time.perf_counter()
        for q in queries:
            analyse_query(q, {"results": 0})
        figures["speed"][label] = time.perf_counter() - started
    return figures


def _share(value: float | None) -> str:
    """A share with three decimals, or a dash."""
    return "-" if value is None else f"{value:.3f}"


def _echo_subjects(figures: dict[str, Any], show_misses: int) -> None:
    """Print the subject roll-up figures: the team's subject pairs, then the reference lists when given."""
    subject: PairScore = figures["subject_pairs"]
    click.echo(f"subject pairs: {subject.true_pos + subject.false_pos + subject.false_neg + subject.true_neg} "
               f"(tp {subject.true_pos}, fp {subject.false_pos}, fn {subject.false_neg}, tn {subject.true_neg})"
               f"  precision {subject.precision:.3f}  recall {subject.recall:.3f}")
    for a, b, same in subject.misses[:show_misses]:
        click.echo(f"  {'split' if same else 'merged'}: {a!r} / {b!r}")
    reference = figures.get("subject_reference")
    if reference is None:
        return
    for label in ("group", "subject"):
        upl, keywords = reference[label]["upl"], reference[label]["keywords"]
        if upl is not None:
            click.echo(f"UPL municipal names by {label} key: {upl['names']} names, {upl['pairs']} name+words pairs; "
                       f"rolled up {upl['rolled_up']} (recall {_share(upl['recall'])}); {upl['shared_pairs']} pairs "
                       f"share a key, first-word precision {_share(upl['precision'])}")
        if keywords is not None:
            click.echo(f"Mijn Amsterdam keywords by {label} key: {keywords['keywords']} keywords -> {keywords['keys']} "
                       f"keys; {keywords['shared_pairs']} pairs share a key, same page {_share(keywords['purity'])}")
    upl = reference["subject"]["upl"]
    for child, parent in (upl["misses"] if upl else [])[:show_misses]:
        click.echo(f"  not rolled up: {child!r} -> {parent!r}")
    keywords = reference["subject"]["keywords"]
    for members in (keywords["mixed"] if keywords else [])[:show_misses]:
        click.echo(f"  one subject, several pages: {', '.join(members[:6])}")


def _verdict(ok: bool) -> str:
    """PASS or FAIL."""
    return "PASS" if ok else "FAIL"


@click.command("bench_search")
@click.option("--count", default=100_000, show_default=True, help="How many synthetic queries to group for the speed test.")
@click.option("--sample", default=10, show_default=True, help="How many of the largest real-query groups to print.")
@click.option("--data", "data", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Reference data folder; its search/ queries are grouped (read only; skipped when absent).")
@click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Folder with the reference search queries itself (read only; skipped when absent).")
@click.option("--show-misses", default=10, show_default=True, help="How many mis-grouped pairs to list.")
def bench_search(count: int, sample: int, data: Path | None, data_dir: Path | None, show_misses: int) -> None:
    """Measure search-term grouping: precision/recall on the labelled pairs, real queries, and speed."""
    if data_dir is None and data is not None:
        data_dir = data / "search"
    figures = run_benchmark(count, sample, data_dir)
    score: PairScore = figures["pairs"]
    click.echo(f"vocabulary loaded in {figures['load_seconds']:.2f} s")
    click.echo(f"labelled pairs: {score.true_pos + score.false_pos + score.false_neg + score.true_neg} "
               f"(tp {score.true_pos}, fp {score.false_pos}, fn {score.false_neg}, tn {score.true_neg})")
    click.echo(f"  precision {score.precision:.3f} [{_verdict(score.precision >= TARGET_PRECISION)} >= {TARGET_PRECISION}]"
               f"  recall {score.recall:.3f} [{_verdict(score.recall >= TARGET_RECALL)} >= {TARGET_RECALL}]")
    for a, b, same in score.misses[:show_misses]:
        click.echo(f"  {'split' if same else 'merged'}: {a!r} / {b!r}")
    _echo_subjects(figures, show_misses)
    real = figures.get("real")
    if real is None:
        click.echo(f"real queries: skipped ({data_dir or 'no --data DIR given'} not found)")
    else:
        click.echo(f"real queries: {real['queries']} rows, {real['distinct']} distinct, {real['groups']} groups")
        for key, members in real["sample"]:
            shown = ", ".join(f"{q} ({n})" for q, n in members.most_common(6))
            more = f" +{len(members) - 6} more" if len(members) > 6 else ""
            click.echo(f"  [{key}] {shown}{more}")
    speed = figures["speed"]
    rate = speed["queries"] / speed["seconds"] if speed["seconds"] else float("inf")
    click.echo(f"speed: {speed['queries']} queries ({speed['distinct']} distinct) -> {speed['groups']} groups in "
               f"{speed['seconds']:.2f} s, {rate:,.0f}/s cold [{_verdict(speed['seconds'] <= TARGET_SECONDS)} <= "
               f"{TARGET_SECONDS:.0f} s]")
    click.echo(f"analyse_query (the enricher's call): {speed['queries'] / speed['enrich_seconds']:,.0f} queries/s "
               f"first pass, {speed['queries'] / speed['enrich_warm_seconds']:,.0f} queries/s repeated")
