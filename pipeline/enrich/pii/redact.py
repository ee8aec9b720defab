"""Redaction of personal data: phone, e-mail, BSN, IBAN, postcode (with or without house number), street +
house number, licence plate, birth date, names.

Each finding is replaced by a placeholder such as `[telefoon]`; only the *kinds* found are reported.
URLs keep their address but lose their query string and fragment (`?email=...` is personal data).
"""
from __future__ import annotations

import bisect
import re
from datetime import date
from typing import Callable, Iterator

from pipeline.enrich.pii.addresses import STREET_HOUSE_NUMBER, listed_street_numbers, street_house_number_ok
from pipeline.enrich.pii.dates import BIRTH_DATE, BIRTH_YEAR, birth_date_ok
from pipeline.enrich.pii.names import NameFinder
from pipeline.enrich.pii.urls import strip_query
from pipeline.enrich.pii.wordlists import street_names

KIND_PHONE = "phone"
KIND_EMAIL = "email"
KIND_BSN = "bsn"
KIND_IBAN = "iban"
KIND_POSTCODE = "postcode_house_number"
KIND_STREET_NUMBER = "street_house_number"
KIND_PLATE = "licence_plate"
KIND_NAME = "name"
KIND_POSTCODE_ONLY = "postcode"
KIND_BIRTH_DATE = "birth_date"
KIND_URL_QUERY = "url_query"

PLACEHOLDERS: dict[str, str] = {
    KIND_PHONE: "[telefoon]",
    KIND_EMAIL: "[e-mail]",
    KIND_BSN: "[bsn]",
    KIND_IBAN: "[iban]",
    KIND_POSTCODE: "[postcode]",
    KIND_STREET_NUMBER: "[huisnummer]",
    KIND_PLATE: "[kenteken]",
    KIND_NAME: "[naam]",
    KIND_POSTCODE_ONLY: "[postcode]",
    KIND_BIRTH_DATE: "[geboortedatum]",
}

# The 14 Dutch sidecodes (9 = digit, X = letter). Dashed forms are accepted in any case; without
# dashes only upper case and only the shapes whose letter/digit runs fix the groups (e.g. 99XXX9).
_SIDECODES = (
    "XX-99-99", "99-99-XX", "99-XX-99", "XX-99-XX", "XX-XX-99", "99-XX-XX", "99-XXX-9",
    "9-XXX-99", "XX-999-X", "X-999-XX", "XXX-99-X", "X-99-XXX", "9-XX-999", "999-XX-9",
)


def _runs_alternate(code: str) -> bool:
    """True when the three groups of a sidecode alternate between letters and digits."""
    first, second, third = (group[0] == "9" for group in code.split("-"))
    return first != second and second != third


_PLATE_SHAPES: frozenset[str] = frozenset(_SIDECODES) | frozenset(
    c.replace("-", "") for c in _SIDECODES if _runs_alternate(c))
_TO_SHAPE = str.maketrans("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ", "9" * 10 + "X" * 26)

# One simple pattern per kind (each a fast scan in C). They run in priority order; a match that
# overlaps an accepted span or a URL is skipped.
_URL = re.compile(r"\b(?:https?://|www\.)[^\s<>\"']+")
_EMAIL = re.compile(r"\b[\w.+\-]{1,64}@[\w\-]{1,63}(?:\.[\w\-]{1,63}){0,8}\.[A-Za-z]{2,24}\b")
_IBAN = re.compile(r"\b[A-Za-z]{2}\d{2}[ ]?(?:[A-Za-z0-9]{4}[ ]?){2,7}[A-Za-z0-9]{1,4}\b")
# Postcode letters: upper case, or lower case written against the digits ("3701ab") or, after a space,
# when they are not a common two-letter word ("2024 om 12" is not an address).
_POSTCODE = re.compile(
    r"[1-9](?<!\w[1-9])\d{3}(?!\s?(?:SA|SD|SS|sa|sd|ss)\b)"
    r"(?:[ ]?[A-Z]{2}|[a-z]{2}|[ ](?!(?:en|is|om|op|in|te|de|al|of|na|nu|ik|je|we|ze|er|ga|ja|zo|uw|ok|tv|pm|am)\b)[a-z]{2})"
    r"\b(?:,[ ]?|[ ]{1,2})\d{1,5}"
    r"(?:[ ]?-?[ ]?[A-Za-z](?![A-Za-z])|-\d{1,4}|[ ](?:hs|bis|bs)\b)?")
# A postcode without house number: upper-case letters, or lower-case ones written against the digits
# when they are not a unit ("1500km").
_POSTCODE_ONLY = re.compile(
    r"[1-9](?<![\w\-/.,][1-9])\d{3}(?:[ ]?(?!SA|SD|SS)[A-Z]{2}"
    r"|(?!km|kg|cm|mm|ml|pm|am|st|nd|rd|th|uu|mb|gb|kb|ct|mg)[a-z]{2})(?![\w\-])")
_POSTCODE_CUED = re.compile(r"(?i:postcode|pc)\W{0,3}(?P<pii>[1-9]\d{3}[ ]?[A-Za-z]{2})(?![\w\-])")
_PLATE = re.compile(r"(?<![\w\-])(?:[A-Za-z0-9]{1,3}-[A-Za-z0-9]{2,3}-[A-Za-z0-9]{1,3}|[A-Z0-9]{6})(?![\w\-])")
# Each branch tests its left context after its first character, so the engine can skip ahead to "+", "0" or "(".
_PHONE = re.compile(
    r"(?:(?:\+(?<![\w+]\+)|0(?<![\w+]0)0)31[ \-]?(?:\(0\)[ \-]?)?|\((?<![\w+]\()0(?=\d{1,3}\))|0(?<![\w+]0))"
    r"(?:[ \-.)]{0,2}\d){9}(?!\d)")
_BSN = re.compile(r"\d(?<![\w.,\-]\d)(?:\d{3}\.\d{2}\.\d{3}|\d{7,8})(?![\w\-]|[.,]\d)")
_DIGIT = re.compile(r"\d")
# The part of an e-mail address from its "@" on: a text without it holds no address.
_EMAIL_DOMAIN = re.compile(r"@[\w\-]{1,63}(?:\.[\w\-]{1,63}){0,8}\.[A-Za-z]{2,24}\b")
# A date such as 06-12-2024 followed by another number is not a phone number.
_DATE_START = re.compile(r"\(?\d{1,2}[\-./]\d{1,2}[\-./](?:19|20)\d\d")
_BSN_CONTEXT = re.compile(r"(?:bsn|burgerservicenummer|sofi)\W{0,3}(?:nr|nummer)?\W{0,3}$", re.IGNORECASE)

def _bsn_valid(digits: str) -> bool:
    """The 11-proof for a 9-digit BSN (an 8-digit number is read with a leading zero)."""
    digits = digits.zfill(9)
    if len(digits) != 9 or not digits.isdigit() or digits == "000000000":
        return False
    total = sum(int(d) * w for d, w in zip(digits[:8], range(9, 1, -1))) - int(digits[8])
    return total % 11 == 0


def _looks_like_date(digits: str) -> bool:
    """True for an 8-digit YYYYMMDD or DDMMYYYY date between 1900 and 2099."""
    for year, month, day in ((digits[:4], digits[4:6], digits[6:]), (digits[4:], digits[2:4], digits[:2])):
        if year[:2] in ("19", "20"):
            try:
                date(int(year), int(month), int(day))
                return True
            except ValueError:
                continue
    return False


def _iban_valid(candidate: str) -> bool:
    """Mod-97 check of an IBAN; Dutch IBANs must also be 18 characters (bank code, 10 digits)."""
    compact = candidate.replace(" ", "").upper()
    if not 15 <= len(compact) <= 34 or not compact[2:4].isdigit():
        return False
    if compact.startswith("NL") and (len(compact) != 18 or not compact[4:8].isalpha() or not compact[8:].isdigit()):
        return False
    rearranged = compact[4:] + compact[:4]
    try:
        number = int("".join(str(int(ch, 36)) for ch in rearranged))
    except ValueError:
        return False
    return number % 97 == 1


def _plate_ok(match: re.Match[str]) -> bool:
    """True when the candidate has the shape of one of the Dutch sidecodes."""
    return match.group().upper().translate(_TO_SHAPE) in _PLATE_SHAPES


def _phone_ok(match: re.Match[str]) -> bool:
    """Reject a date followed by a number ("06-12-2024 10:30")."""
    return not _DATE_START.match(match.group())


def _iban_ok(match: re.Match[str]) -> bool:
    """Mod-97 check of an IBAN candidate."""
    return _iban_valid(match.group())


def _bsn_ok(match: re.Match[str]) -> bool:
    """11-proof; an 8-digit number that reads as a date also needs "bsn" just before it."""
    digits = match.group().replace(".", "")
    if not _bsn_valid(digits):
        return False
    if len(digits) == 8 and _looks_like_date(digits):
        before = match.string[max(0, match.start() - 30):match.start()]
        return _BSN_CONTEXT.search(before) is not None
    return True


def _always(match: re.Match[str]) -> bool:
    """Accept every match of the pattern."""
    return True


# What a detector needs before its pattern can match (checked on the digit runs, far cheaper than a scan):
_NEEDS_AT = 0          # an "@" and a domain name after it
_NEEDS_DIGIT = 1       # any digit
_NEEDS_POSTCODE = 2    # a run of exactly four digits starting with 1-9 (postcode digits stand alone)
_NEEDS_YEAR = 3        # a run of exactly four digits starting with 19 or 20 (a year stands alone)
_NEEDS_TEN = 4         # at least ten digits in the text (a phone number: 0 and nine more)
_NEEDS_EIGHT = 5       # at least eight digits in the text (a BSN)
_NEEDS_IBAN = 6        # two ASCII letters directly before a run of at least two digits

# (kind, pattern, validator, what it needs) in priority order.
_DETECTORS: tuple[tuple[str, re.Pattern[str], Callable[[re.Match[str]], bool], int], ...] = (
    (KIND_EMAIL, _EMAIL, _always, _NEEDS_AT),
    (KIND_IBAN, _IBAN, _iban_ok, _NEEDS_IBAN),
    (KIND_BIRTH_DATE, BIRTH_DATE, birth_date_ok, _NEEDS_YEAR),
    (KIND_BIRTH_DATE, BIRTH_YEAR, _always, _NEEDS_YEAR),
    (KIND_PHONE, _PHONE, _phone_ok, _NEEDS_TEN),
    (KIND_POSTCODE, _POSTCODE, _always, _NEEDS_POSTCODE),
    (KIND_POSTCODE_ONLY, _POSTCODE_CUED, _always, _NEEDS_POSTCODE),
    (KIND_POSTCODE_ONLY, _POSTCODE_ONLY, _always, _NEEDS_POSTCODE),
    (KIND_STREET_NUMBER, STREET_HOUSE_NUMBER, street_house_number_ok, _NEEDS_DIGIT),
    (KIND_PLATE, _PLATE, _plate_ok, _NEEDS_DIGIT),
    (KIND_BSN, _BSN, _bsn_ok, _NEEDS_EIGHT),
)
_DIGIT_RUN = re.compile(r"\d+")


def _digit_needs(text: str, has_digit: bool, has_at: bool) -> list[bool]:
    """Which of the needs above the text meets, from its digit runs (Unicode digits, as in the patterns)."""
    met = [has_at and _EMAIL_DOMAIN.search(text) is not None, has_digit, False, False, False, False, False]
    if not has_digit:
        return met
    total = 0
    for match in _DIGIT_RUN.finditer(text):
        run = match.group()
        size = len(run)
        total += size
        if size == 4:
            if run[0] in "123456789":
                met[_NEEDS_POSTCODE] = True
            if run[:2] in ("19", "20"):
                met[_NEEDS_YEAR] = True
        if size >= 2 and not met[_NEEDS_IBAN]:
            start = match.start()
            letters = text[start - 2:start] if start >= 2 else ""
            met[_NEEDS_IBAN] = letters.isascii() and letters.isalpha()
    met[_NEEDS_TEN] = total >= 10
    met[_NEEDS_EIGHT] = total >= 8
    return met


# Patterns that only match after a cue word: skipped when no cue is in the text.
_CUES: dict[re.Pattern[str], tuple[str, ...]] = {BIRTH_YEAR: ("geb",), _POSTCODE_CUED: ("postcode", "pc")}


class _Spans:
    """Non-overlapping character spans kept sorted, with an O(log n) overlap test."""

    def __init__(self) -> None:
        self._starts: list[int] = []
        self._items: list[tuple[int, int, str | None]] = []

    def overlaps(self, start: int, end: int) -> bool:
        """True when [start, end) overlaps a span already added."""
        index = bisect.bisect_right(self._starts, start)
        if index and self._items[index - 1][1] > start:
            return True
        return index < len(self._items) and self._items[index][0] < end

    def add(self, start: int, end: int, placeholder: str | None) -> None:
        """Add a span (None: keep the text, as for URLs)."""
        index = bisect.bisect_right(self._starts, start)
        self._starts.insert(index, start)
        self._items.insert(index, (start, end, placeholder))

    def __iter__(self) -> Iterator[tuple[int, int, str | None]]:
        """The spans in text order."""
        return iter(self._items)


class PiiRedactor:
    """Replaces personal data in a text by placeholders and reports the kinds it removed."""

    def __init__(self, names: NameFinder | None = None) -> None:
        self.names = names if names is not None else NameFinder()

    def load(self) -> None:
        """Load the name, place and street lists now rather than on the first text."""
        self.names.load()
        street_names()

    def redact(self, text: str) -> tuple[str, list[str]]:
        """Return the redacted text and the sorted unique kinds of personal data found in it."""
        kinds: set[str] = set()
        if "http" in text or "www." in text:
            text, stripped = strip_query(text)
            if stripped:
                kinds.add(KIND_URL_QUERY)
        has_digit = _DIGIT.search(text) is not None
        has_at = "@" in text
        if has_digit or has_at:
            text = self._redact_numberish(text, has_digit, has_at, kinds)
        spans = self.names.spans(text)
        if spans:
            kinds.add(KIND_NAME)
            text = _splice(text, spans, PLACEHOLDERS[KIND_NAME])
        return text, sorted(kinds)

    def redact_structured(self, text: str) -> str:
        """Only the structured kinds (numbers, e-mail, URL query strings): for texts the pipeline wrote itself,
        such as rejection reasons, where a name finder would mistake words for names."""
        kinds: set[str] = set()
        if "http" in text or "www." in text:
            text, _ = strip_query(text)
        has_digit = _DIGIT.search(text) is not None
        has_at = "@" in text
        return self._redact_numberish(text, has_digit, has_at, kinds) if has_digit or has_at else text

    @staticmethod
    def _redact_numberish(text: str, has_digit: bool, has_at: bool, kinds: set[str]) -> str:
        """Run the detectors in priority order and splice the placeholders in."""
        spans = _Spans()
        if "http" in text or "www." in text:
            for match in _URL.finditer(text):
                spans.add(match.start(), match.end(), None)
        lowered = text.lower()
        met = _digit_needs(text, has_digit, has_at)
        for kind, pattern, accept, needs in _DETECTORS:
            if not met[needs]:
                continue
            cue = _CUES.get(pattern)
            if cue is not None and not any(word in lowered for word in cue):
                continue
            part = "pii" if "pii" in pattern.groupindex else 0
            for match in pattern.finditer(text):
                start, end = match.span(part)
                if not spans.overlaps(start, end) and accept(match):
                    spans.add(start, end, PLACEHOLDERS[kind])
                    kinds.add(kind)
        if has_digit:
            for start, end in listed_street_numbers(text, street_names()):
                if not spans.overlaps(start, end):
                    spans.add(start, end, PLACEHOLDERS[KIND_STREET_NUMBER])
                    kinds.add(KIND_STREET_NUMBER)
        if not kinds - {KIND_URL_QUERY}:
            return text
        pieces: list[str] = []
        cursor = 0
        for start, end, placeholder in spans:
            if placeholder is not None:
                pieces.append(text[cursor:start])
                pieces.append(placeholder)
                cursor = end
        pieces.append(text[cursor:])
        return "".join(pieces)


def _splice(text: str, spans: list[tuple[int, int]], placeholder: str) -> str:
    """Replace each (start, end) span, in text order and not overlapping, by the placeholder."""
    pieces: list[str] = []
    cursor = 0
    for start, end in spans:
        pieces.append(text[cursor:start])
        pieces.append(placeholder)
        cursor = end
    pieces.append(text[cursor:])
    return "".join(pieces)


_DEFAULT = PiiRedactor()


def redact(text: str) -> tuple[str, list[str]]:
    """Redact `text` with the default redactor; returns (redacted text, sorted kinds)."""
    return _DEFAULT.redact(text)


def redact_structured(text: str) -> str:
    """Structured kinds only (see PiiRedactor.redact_structured)."""
    return _DEFAULT.redact_structured(text)
