"""Name, place and street lists for redaction, loaded once on first use.

The large lists come from the `deduce` package (a PyPI dependency, LGPL-3.0-or-later): its data files are
read where pip installed them; deduce's own engine is never imported. Team-written lists in `data/` and the
project's own vocabulary complete them. Without deduce a small team-written first-name list is used.
"""
from __future__ import annotations

import importlib.util
import logging
from dataclasses import dataclass
from functools import lru_cache
from importlib.resources import files
from pathlib import Path

log = logging.getLogger(__name__)

NAME_FILES: dict[str, str] = {
    "first": "names/lst_first_name/items.txt",
    "surname": "names/lst_surname/items.txt",
    "interfix_surname": "names/lst_interfix_surname/items.txt",
}
PLACE_FILES: tuple[str, ...] = (
    "locations/lst_placename/lst_residence/items.txt",
    "locations/lst_placename/lst_municipality/items.txt",
    "locations/lst_placename/lst_region/items.txt",
    "locations/lst_placename/lst_province/items.txt",
)
STREET_FILE = "locations/lst_street/items.txt"


@dataclass(frozen=True, slots=True)
class NameLists:
    """Lower-cased sets used by the name and address finders."""

    first: frozenset[str]
    surname: frozenset[str]
    interfix_surname: frozenset[str]
    ambiguous: frozenset[str]
    places: frozenset[str]
    place_words: frozenset[str]
    not_names: frozenset[str]


def deduce_lookup_dir() -> Path | None:
    """The folder of deduce's lookup lists, found without importing deduce (None when not installed)."""
    spec = importlib.util.find_spec("deduce")
    if spec is None or not spec.submodule_search_locations:
        return None
    folder = Path(next(iter(spec.submodule_search_locations))) / "data" / "lookup" / "src"
    return folder if folder.is_dir() else None


def read_list(path: Path) -> list[str]:
    """The non-empty, non-comment lines of a list file (missing file: empty)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        return []
    return [line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")]


def _team_list(name: str, per_line: bool = False) -> list[str]:
    """A team-written list from this package's data folder: words, or one entry per line."""
    text = files("pipeline.enrich.pii").joinpath("data", name).read_text(encoding="utf-8")
    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")]
    return lines if per_line else [word for line in lines for word in line.split()]


def _lower(items: list[str]) -> frozenset[str]:
    return frozenset(item.lower() for item in items)


@lru_cache(maxsize=1)
def name_lists() -> NameLists:
    """All lists, read on first call and cached for the life of the process."""
    base = deduce_lookup_dir()
    team_first = _team_list("first_names_nl.txt")
    if base is None:
        log.warning("redaction: the deduce name lists are not installed; using the small team-written list")
        first, surname, interfix, places = set(team_first), set(), set(), set()
    else:
        first = set(read_list(base / NAME_FILES["first"])) | set(team_first)
        surname = set(read_list(base / NAME_FILES["surname"]))
        interfix = set(read_list(base / NAME_FILES["interfix_surname"]))
        places = set().union(*(read_list(base / p) for p in PLACE_FILES))
    surname |= set(_team_list("surnames_nl.txt"))
    places |= set(_team_list("places_nl.txt", per_line=True))
    not_names = _lower(_team_list("not_names_nl.txt"))
    ambiguous = _lower(_team_list("name_words_nl.txt")) | not_names
    place_set = _lower(sorted(places))
    return NameLists(
        first=_lower(sorted(first)), surname=_lower(sorted(surname)) - not_names,
        interfix_surname=_lower(sorted(interfix)), ambiguous=ambiguous, places=place_set,
        place_words=frozenset(w for p in place_set for w in p.split()), not_names=not_names)


@lru_cache(maxsize=1)
def street_names() -> frozenset[str]:
    """Lower-cased street names (deduce's list plus the team's), read on first call."""
    base = deduce_lookup_dir()
    streets = read_list(base / STREET_FILE) if base is not None else []
    return _lower(streets + _team_list("streets_nl.txt", per_line=True))
