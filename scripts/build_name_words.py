"""Build pipeline/enrich/pii/data/name_words_nl.txt: names of the name lists that are also ordinary Dutch words.

Input: the OpenTaal Dutch word list (Debian's `wdutch`, /usr/share/dict/dutch; BSD or CC-BY) and the name
lists of the `deduce` package. Only OpenTaal words are written, never a name that is not a Dutch word.
Frequent first names that are hardly ever used as words (jan, piet, kees) are left out on purpose.
Run by a maintainer when the lists change; the pipeline itself never needs wdutch.
"""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pipeline.enrich.pii.wordlists import NAME_FILES, deduce_lookup_dir, read_list  # noqa: E402

OPENTAAL = Path("/usr/share/dict/dutch")
OUT = Path(__file__).resolve().parents[1] / "pipeline/enrich/pii/data/name_words_nl.txt"
# Names that OpenTaal also lists as a word but that in residents' text are nearly always a name.
NAMES_FIRST = set("""jan piet kees dirk klaas joost henk bas kim sem eva mark joop ria anne jeroen thijs
daan lars koen sander ruud gert wim sjaak arie bram sanne noor floor lotte femke mieke truus ans""".split())
HEADER = ("# Names from the name lists that OpenTaal (wdutch, BSD/CC-BY) also lists as ordinary lower-case Dutch\n"
          "# words. A name on this list is only removed when its context shows it is a name.\n"
          "# Built by scripts/build_name_words.py; do not edit by hand.\n")


def main() -> None:
    """Write the intersection, sorted, one word per line."""
    words = {line.strip() for line in OPENTAAL.read_text(encoding="utf-8").splitlines()
             if line.strip()[:1].islower()}
    base = deduce_lookup_dir()
    if base is None:
        raise SystemExit("the deduce package is not installed")
    names: set[str] = set()
    for relative in NAME_FILES.values():
        names.update(item.lower() for item in read_list(base / relative))
    ambiguous = sorted((names & words) - NAMES_FIRST)
    OUT.write_text(HEADER + "\n".join(ambiguous) + "\n", encoding="utf-8")
    print(f"{len(ambiguous)} words written to {OUT}")


if __name__ == "__main__":
    main()
