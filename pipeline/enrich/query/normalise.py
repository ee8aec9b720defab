"""Text steps for search queries: folding, tokens, stop words, Dutch stemming and spelling canonicalisation."""
from __future__ import annotations

import re
from functools import lru_cache

from pipeline.enrich.text import snowball_stem, strip_accents

_NON_WORD = re.compile(r"[\W_]+", re.UNICODE)
_YEAR = re.compile(r"^(19|20)\d\d$")
_DOUBLE_CONSONANT = re.compile(r"([bcdfghjklmnpqrstvwxz])\1+")
_VOWELS = re.compile(r"[aeiouy]+")

# Function words that carry no search intent; written by the team. Removed only when something remains.
STOP_WORDS: frozenset[str] = frozenset("""
de het een der den des van voor in op bij met naar en of te tot om aan uit over onder door als dan
wat hoe waar wanneer waarom wie welke welk is zijn ben was waren wordt worden word werd kan kun kunt
moet moeten mag mogen wil willen ik mijn me mij je jij jouw u uw we wij ons onze zij ze hun haar hem
er hier daar dit dat deze die niet geen wel nog al ook maar toch graag even zo s t laten maken maak doen nu
gemeente
the a an of to for and on at is what how where le la les du des et
""".split())


def fold(text: str) -> str:
    """Lower-case, strip diacritics, turn punctuation and underscores into spaces, collapse white space."""
    return " ".join(_NON_WORD.sub(" ", strip_accents(text.lower())).split())


def content_tokens(normalized: str) -> list[str]:
    """Tokens of a folded query without stop words and years; the full token list when nothing would remain."""
    tokens = normalized.split()
    kept = [t for t in tokens if t not in STOP_WORDS and not _YEAR.match(t)]
    return kept or tokens


@lru_cache(maxsize=100_000)
def stem(word: str) -> str:
    """The Dutch Snowball stem of one folded word (cached)."""
    if len(word) <= 3 or not word.isalpha():
        return word
    return snowball_stem(word)


@lru_cache(maxsize=100_000)
def canonical_spelling(word: str) -> str:
    """Fold spellings Dutch writers confuse: ij/ei/y, au/ou, c/k/s, ph/f, x, qu, dt/d at the end, z/v at the end, double consonants."""
    out = word.replace("ij", "y").replace("ei", "y").replace("au", "ou").replace("ph", "f")
    out = out.replace("qu", "kw").replace("x", "ks")
    out = out.replace("ch", "\x00")
    out = re.sub(r"c(?=[eiy])", "s", out).replace("c", "k").replace("\x00", "ch")
    out = _DOUBLE_CONSONANT.sub(r"\1", out)
    if out.endswith("dt") or (out.endswith("d") and len(out) > 3):
        out = out[:-2] + "t" if out.endswith("dt") else out[:-1] + "t"
    if len(out) > 3 and out[-1] == "z":
        out = out[:-1] + "s"
    elif len(out) > 3 and out[-1] == "v":
        out = out[:-1] + "f"
    return out


def skeleton(word: str) -> str:
    """The first letter plus the consonants: tolerates vowel typos ("coronovirus", "caronavirus")."""
    return word[:1] + _VOWELS.sub("", word[1:])
