"""Street name followed by a house number ("Slotlaan 12a"): the number is personal, the street is not.

Only the house number is replaced, so the street still tells the topic and place models where
something happens. A number followed by a unit ("Slotlaan 3 weken dicht") is not a house number.
"""
from __future__ import annotations

import re
from functools import lru_cache

# Endings of Dutch street names (the word must be longer than the ending: "weg" alone is "away").
_STREET_ENDINGS = (
    "straat", "laan", "weg", "plein", "singel", "gracht", "kade", "dreef", "hof", "park", "pad",
    "steeg", "dijk", "baan", "ring", "markt", "plantsoen", "boulevard", "allee", "erf", "wal",
    "hoek", "zijde", "haven", "poort", "kwartier", "dwarsstraat", "veld", "hoeve", "gaarde",
)
# Words after a number that make it a quantity, a duration or a time, not a house number.
_UNITS = (
    "km", "kilometer", "m", "meter", "cm", "min", "minuut", "minuten", "sec", "uur", "uren", "dag",
    "dagen", "week", "weken", "maand", "maanden", "jaar", "jaren", "keer", "x", "euro", "procent",
    "auto", "auto's", "bomen", "woningen", "huizen", "mensen", "bussen", "kinderen", "plekken",
    "parkeerplaatsen", "containers", "kliko's", "meldingen", "klachten", "nov", "november", "dec",
)
_STREET = (
    r"(?:[A-Za-zÀ-ÿ][a-zà-ÿ'’\-]{2,}(?:" + "|".join(_STREET_ENDINGS) + r")"
    r"|[Ll]aan[ ]van[ ][A-Z][a-zà-ÿ]+|[Pp]lein[ ]\d{4})"
)
# A house number with its addition: "12", "12a", "12 A", "12-3", "12 bis", "12 hs", "12-II", "12 zw".
HOUSE_NUMBER = (r"[1-9]\d{0,4}(?:[ ]?-?[ ]?[A-Za-z](?![A-Za-z'’])|-\d{1,4}|[ ]?-?[ ]?(?:I{1,3}|IV)\b"
                r"|[ ](?:hs|bis|zw|rd|huis|boven|beneden|bg)\b|/\d{1,3}\b)?")
_NOT_A_NUMBER_AFTER = (r"(?!\d|[.,:]\d|[ ]?%|[ ]?(?:" + "|".join(re.escape(u) for u in _UNITS) + r")\b)")
# What must follow the start of a street for a house number to come after it, checked before the costly
# street endings are tried at every word: a word, spaces and a digit; or "Laan van ", or "Plein " and a digit.
_STREET_AHEAD = (r"(?=[A-Za-zÀ-ÿ][a-zà-ÿ'’\-]*[ ]{1,2}(?:(?i:nr|nummer|no)\.?[ ]?)?[1-9]"
                 r"|[Ll]aan[ ]van[ ]|[Pp]lein[ ]\d)")
STREET_HOUSE_NUMBER = re.compile(
    r"(?<![\w\-@#/])" + _STREET_AHEAD + _STREET + r"[ ]{1,2}(?:(?i:nr|nummer|no)\.?[ ]?)?"
    r"(?P<pii>" + HOUSE_NUMBER + r")" + _NOT_A_NUMBER_AFTER
)
# A house number after a word, for streets without a street-like ending ("Het Rond 4", "Brink 12").
_NUMBER_AFTER_WORD = re.compile(
    r"[ ](?<=[A-Za-zà-ÿ'’][ ])[ ]?(?:(?i:nr|nummer|no)\.?[ ]?)?(?P<pii>" + HOUSE_NUMBER + r")" + _NOT_A_NUMBER_AFTER)
_WORD = re.compile(r"[\w'’\-]+")


def street_house_number_ok(match: re.Match[str]) -> bool:
    """Accept the match unless the street word is a plain word that merely ends like a street."""
    street = match.group()[: match.start("pii") - match.start()].strip().lower()
    return street.split()[0] not in _NOT_STREETS


# Ordinary words with a street-like ending that are often followed by a number.
_NOT_STREETS: frozenset[str] = frozenset(
    """snelweg rijksweg provinciale bijweg omweg tussenweg halfweg onderweg wegweg speelplein parkeerhof
    binnenhof voorhof achterhof kerkhof sportpark bedrijvenpark voetbalveld sportveld grasveld speelveld
    evenemententerrein woonerf fietspad voetpad zandpad wandelpad ruiterpad""".split()
)


def listed_street_numbers(text: str, streets: frozenset[str]) -> list[tuple[int, int]]:
    """Spans of house numbers after a street from the street list (its first word capitalised)."""
    spans = []
    last_words = _last_words(streets)
    for match in _NUMBER_AFTER_WORD.finditer(text):
        parts = text[max(0, match.start() - 60):match.start()].split(" ")[-4:]
        if parts[-1].lower() not in last_words:
            continue   # every phrase tried below ends in this word
        while parts and not _WORD.fullmatch(parts[0]):
            parts.pop(0)
        if not parts or not all(_WORD.fullmatch(part) for part in parts):
            continue
        for size in range(len(parts), 0, -1):
            phrase = parts[-size:]
            if phrase[0][:1].isupper() or phrase[0][:1].isdigit():
                if " ".join(phrase).lower() in streets and phrase[-1].lower() not in _NOT_STREETS:
                    spans.append(match.span("pii"))
                    break
    return spans


@lru_cache(maxsize=4)
def _last_words(streets: frozenset[str]) -> frozenset[str]:
    """The last word of every street name on the list."""
    return frozenset(street.rsplit(" ", 1)[-1] for street in streets)
