"""The redactor's fast paths find exactly what the plain forms find, on many generated texts.

The fast paths: detectors skipped when the text's digit runs rule them out, patterns that test their
left context after the first character (so the regex engine can skip ahead to a digit or a capital),
a look-ahead before the street endings, and the street-list check on the word before a number. Each is
compared with the plain form, kept here, on texts with digits, names and streets at the edges.
"""
from __future__ import annotations

import random
import re

import pytest

from pipeline.enrich.pii import addresses, names, redact
from pipeline.enrich.pii.addresses import _NOT_A_NUMBER_AFTER, _NOT_STREETS, _STREET, _WORD, HOUSE_NUMBER
from pipeline.enrich.pii.wordlists import street_names

# The plain forms of the patterns that the module writes in a faster, equivalent way.
PLAIN = {
    "postcode": re.compile(
        r"\b[1-9]\d{3}(?!\s?(?:SA|SD|SS|sa|sd|ss)\b)"
        r"(?:[ ]?[A-Z]{2}|[a-z]{2}|[ ](?!(?:en|is|om|op|in|te|de|al|of|na|nu|ik|je|we|ze|er|ga|ja|zo|uw|ok|tv|pm|am)\b)[a-z]{2})"
        r"\b(?:,[ ]?|[ ]{1,2})\d{1,5}"
        r"(?:[ ]?-?[ ]?[A-Za-z](?![A-Za-z])|-\d{1,4}|[ ](?:hs|bis|bs)\b)?"),
    "postcode_only": re.compile(
        r"(?<![\w\-/.,])[1-9]\d{3}(?:[ ]?(?!SA|SD|SS)[A-Z]{2}"
        r"|(?!km|kg|cm|mm|ml|pm|am|st|nd|rd|th|uu|mb|gb|kb|ct|mg)[a-z]{2})(?![\w\-])"),
    "bsn": re.compile(r"(?<![\w.,\-])(?:\d{4}\.\d{2}\.\d{3}|\d{8,9})(?![\w\-]|[.,]\d)"),
    "phone": re.compile(
        r"(?<![\w+])(?:(?:\+|00)31[ \-]?(?:\(0\)[ \-]?)?|\(0(?=\d{1,3}\))|0)(?:[ \-.)]{0,2}\d){9}(?!\d)"),
    "street": re.compile(
        r"(?<![\w\-@#/])" + _STREET + r"[ ]{1,2}(?:(?i:nr|nummer|no)\.?[ ]?)?"
        r"(?P<pii>" + HOUSE_NUMBER + r")" + _NOT_A_NUMBER_AFTER),
    "number_after_word": re.compile(
        r"(?<=[A-Za-zà-ÿ'’])[ ]{1,2}(?:(?i:nr|nummer|no)\.?[ ]?)?(?P<pii>" + HOUSE_NUMBER + r")" + _NOT_A_NUMBER_AFTER),
    "initial": re.compile(r"(?<![\w.])[A-Z]\."),
    "capitalised": re.compile(r"(?<![\w\[@#/])[A-ZÀ-Þ][^\W\d_]*"),
}
FAST = {
    "postcode": redact._POSTCODE,
    "postcode_only": redact._POSTCODE_ONLY,
    "bsn": redact._BSN,
    "phone": redact._PHONE,
    "street": addresses.STREET_HOUSE_NUMBER,
    "number_after_word": addresses._NUMBER_AFTER_WORD,
    "initial": names._INITIAL,
    "capitalised": names._CAPITALISED,
}

PIECES = [
    "06-12345678", "0612345678", "+31 6 1234 5678", "030-1234567", "(030) 123 45 67", "3701 AB", "3701ab", "3701 AB 12",
    "1234 AB, 5", "Kerkstraat 12", "Slotlaan 3a", "Het Rond 4", "Molenweg 59 bis", "12-03-1956", "geb. 1956",
    "3 maart 1960", "1960-03-03", "NL91ABNA0417164300", "NL91 ABNA 0417 1643 00", "111222333", "1112.22.333",
    "12345678", "AB-12-CD", "12-ABC-3", "XX123X", "postcode 3701AB", "pc: 3701 ab", "bsn: 12345672", "20240612",
    "piet@example.nl", "@gemeente", "a.b@c", "x@y.z1", "info@gemeente-zeist.nl", "Jan de Vries", "mw Bakker", "T. Brouwer", "J.P. van Dam", "namens zoon Henk", "10:30", "2024",
    "12", "5 km", "3 weken", "12%", "1e Dorpsstraat 7", "Laan van Vollenhove 3", "Plein 1944 2", "nr. 14", "1500km",
    "١٢٣٤ AB", "٠٦١٢٣٤٥٦٧٨", "Ünal", "Öztürk 3", "Érik", "straat", "9", "0", "1", "19", "20", "2000 om 12", "Lisa", "(0",
    "+31", "0031", "+(0)", "(06) 1234 5678", "+31 (0)30 123 45 67",
]
WORDS = "de gemeente afval lamp kapot bel terug buurman melding over bij op in van het morgen".split()
SEPARATORS = [" ", "  ", ", ", ". ", "\n", "-", "/", "", ":", " (", ") ", ".", "_", "@", "#", "[", "'"]


def generated_texts(count: int, seed: int) -> list[str]:
    """Texts glued together from personal-data pieces, ordinary words and separators, in random order."""
    rng = random.Random(seed)
    texts = []
    for _ in range(count):
        parts = []
        for _ in range(rng.randint(1, 12)):
            parts.append(rng.choice(PIECES) if rng.random() < 0.6 else rng.choice(WORDS))
            parts.append(rng.choice(SEPARATORS))
        text = "".join(parts)
        texts.append(text[rng.randint(0, 3):] if rng.random() < 0.3 else text)   # also cut into a piece
    return texts


TEXTS = generated_texts(4_000, seed=16)


def _matches(pattern: re.Pattern[str], text: str) -> list[tuple[tuple[int, int], ...]]:
    return [tuple(m.span(g) for g in range(pattern.groups + 1)) for m in pattern.finditer(text)]


@pytest.mark.parametrize("name", sorted(PLAIN))
def test_fast_pattern_finds_what_the_plain_pattern_finds(name: str) -> None:
    fast, plain = FAST[name], PLAIN[name]
    assert fast.groupindex == plain.groupindex
    found = 0
    for text in TEXTS:
        expected = _matches(plain, text)
        assert _matches(fast, text) == expected, text
        found += bool(expected)
    assert found > 50   # the generated texts really exercise the pattern


def _plain_redact_numberish(text: str) -> tuple[str, set[str]]:
    """Every detector on every text (no skipping on digit runs), with the plain patterns."""
    plain_of = {redact._POSTCODE: PLAIN["postcode"], redact._POSTCODE_ONLY: PLAIN["postcode_only"],
                redact._BSN: PLAIN["bsn"], redact._PHONE: PLAIN["phone"], addresses.STREET_HOUSE_NUMBER: PLAIN["street"]}
    spans = redact._Spans()
    kinds: set[str] = set()
    if "http" in text or "www." in text:
        for match in redact._URL.finditer(text):
            spans.add(match.start(), match.end(), None)
    lowered = text.lower()
    for kind, pattern, accept, _needs in redact._DETECTORS:
        cue = redact._CUES.get(pattern)
        if cue is not None and not any(word in lowered for word in cue):
            continue
        pattern = plain_of.get(pattern, pattern)
        part = "pii" if "pii" in pattern.groupindex else 0
        for match in pattern.finditer(text):
            start, end = match.span(part)
            if not spans.overlaps(start, end) and accept(match):
                spans.add(start, end, redact.PLACEHOLDERS[kind])
                kinds.add(kind)
    for start, end in _plain_listed_street_numbers(text, street_names()):
        if not spans.overlaps(start, end):
            spans.add(start, end, redact.PLACEHOLDERS[redact.KIND_STREET_NUMBER])
            kinds.add(redact.KIND_STREET_NUMBER)
    pieces, cursor = [], 0
    for start, end, placeholder in spans:
        if placeholder is not None:
            pieces += [text[cursor:start], placeholder]
            cursor = end
    return "".join(pieces) + text[cursor:], kinds


def _plain_listed_street_numbers(text: str, streets: frozenset[str]) -> list[tuple[int, int]]:
    """House numbers after a listed street, trying every phrase (no check on the last word first)."""
    spans = []
    for match in PLAIN["number_after_word"].finditer(text):
        parts = text[max(0, match.start() - 60):match.start()].split(" ")[-4:]
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


def test_skipping_detectors_on_digit_runs_changes_nothing() -> None:
    redactor = redact.PiiRedactor()
    changed = 0
    for text in TEXTS:
        kinds: set[str] = set()
        has_digit = redact._DIGIT.search(text) is not None
        fast = redactor._redact_numberish(text, has_digit, "@" in text, kinds)
        plain, plain_kinds = _plain_redact_numberish(text)
        assert (fast, kinds) == (plain, plain_kinds), text
        changed += fast != text
    assert changed > 1_000


def test_listed_street_check_on_the_last_word_changes_nothing() -> None:
    streets = street_names()
    texts = TEXTS + ["Ik woon aan de Kerkstraat 12 en Het Rond 4", "Hoog Kanje 3 en De Brink 12", "Brink 7a"]
    hits = 0
    for text in texts:
        expected = _plain_listed_street_numbers(text, streets)
        assert addresses.listed_street_numbers(text, streets) == expected, text
        hits += bool(expected)
    assert hits > 20


def test_digit_needs_are_met_by_every_accepted_match() -> None:
    """Whenever a detector's pattern finds an accepted match, the text meets what the detector needs."""
    for text in TEXTS:
        met = redact._digit_needs(text, redact._DIGIT.search(text) is not None, "@" in text)
        for _kind, pattern, accept, needs in redact._DETECTORS:
            if any(accept(m) for m in pattern.finditer(text)):
                assert met[needs], (pattern.pattern[:30], text)
