"""Redaction evaluation on generated call notes with planted personal data and planted words that must stay.

Every note, name, street and place below is written by the Stadssignaal team. A planted value counts as
removed when none of its personal parts survives (for a name: no name word except particles; for a street with
number: the number after the street; for a postcode or date: the value itself). A kept value must survive as is.
"""
from __future__ import annotations

import random
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Callable

FIRST = """Henk Ans Pieter Anouk Daan Sanne Gerrit Wilma Bart Ingrid Kevin Demi Jeroen Marloes Sjoerd Tineke
Mohammed Fatima Youssef Samira Bilal Naima Khadija Hamza Emre Aylin Mehmet Zeynep Ayşe Burak Priya Anil
Ravi Sunita Wei Mei Linh Minh Kwame Ama Abdi Hodan Piotr Katarzyna Ioana Andrei Olga Carlos Giulia Shirley
Romano Quincy Jayden Noah Lieve Saar Gijs Teun Femke Hanneke Joost Kees Ria Truus Evert Margriet Sven""".split()
SURNAMES = ["Bakker", "Visser", "Jansen", "de Vries", "van der Heijden", "de Groot", "Brouwer", "Mulder", "Smit",
            "Meijer", "Bos", "Dekker", "Hoekstra", "Kuipers", "van Dijk", "Vermeulen", "Postma", "van den Berg",
            "Willems", "Verhoeven", "Yilmaz", "Kaya", "Öztürk", "Demir", "El Amrani", "Bouzid", "Ouali", "Ramdin",
            "Soekhoe", "Mahabier", "Nguyen", "Tran", "Chen", "Singh", "Kowalski", "Nowak", "Popescu", "Mensah",
            "Boateng", "Santos", "Rossi", "van Leeuwen", "ter Horst", "Schouten", "Westdijk", "Timmermans",
            "de Jong", "Hendriks", "van Beek", "Veenstra", "Wouters", "El Khatib", "Ait Said", "Bulut"]
STREET_LIST = ["Molenweg", "Beukenlaan", "Marktplein", "Kerkstraat", "Slotlaan", "Utrechtseweg", "Oude Arnhemseweg",
               "Prins Hendriklaan", "Laan van Vollenhove", "Burgemeester Patijnlaan", "Van Reenenweg", "Het Rond",
               "Steynlaan", "Lindenlaan", "Julianalaan", "Jagersingel", "Bergweg", "Parklaan", "Emmaplein",
               "Schaerweijdelaan", "Driebergseweg", "Hoog Kanje", "Montaubanstraat", "1e Dorpsstraat"]
NUMBERS = ["4", "12", "59 bis", "31-4", "3a", "12 A", "7-II", "14 hs", "128", "2b", "45-1", "9"]
PLACES = ["Zeist", "De Bilt", "Den Dolder", "Huis ter Heide", "Bosch en Duin", "Austerlitz", "Kerckebosch",
          "Vollenhove", "Driebergen", "Bilthoven", "Utrecht", "Soesterberg", "Amersfoort", "De Meern"]
TITLES = ["Mw.", "mw", "Mevrouw", "mevr.", "Dhr.", "dhr", "Meneer", "De heer", "meneer"]
RELATIONS = ["namens zoon", "namens dochter", "namens haar moeder mw", "namens zijn vader dhr", "zoon", "buurvrouw"]
MONTHS = ["januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september", "oktober",
          "november", "december"]
TOPICS = ["grofvuil dat niet is opgehaald", "een kapotte lantaarnpaal", "de kliko die niet is geleegd",
          "overlast van de buren", "ratten in de tuin", "de WOZ-beschikking", "schulden en bijstand",
          "een aanvraag WMO huishoudelijke hulp", "de parkeervergunning", "een omgevingsvergunning voor een dakkapel",
          "wateroverlast in de kelder", "hangjongeren bij de speeltuin", "een verhuizing naar een andere gemeente"]
ORDINARY = ["bij de bakker op de hoek", "de visser aan de vijver", "de markt op zaterdag", "een roos in de tuin",
            "met de buurman", "de kerk", "het groen", "de zon", "het park", "de molen", "een beer van hout",
            "de hoop is er", "het gras", "de kapper", "een storm", "de haven", "de smid"]
TEAMS = ["team Afval", "team WMO", "team Openbare Ruimte", "team Belastingen", "team Burgerzaken", "Handhaving"]


@dataclass
class Note:
    """One generated note with the values planted in it."""

    text: str
    planted: list[tuple[str, str]] = field(default_factory=list)   # (kind, value)
    kept: list[tuple[str, str]] = field(default_factory=list)      # (kind, value)


class NoteGenerator:
    """Varied call notes: names in all forms, postcodes, street + number, birth dates, and words that stay."""

    def __init__(self, seed: int = 2024) -> None:
        self.rng = random.Random(seed)

    def name(self) -> tuple[str, str]:
        """(text as written, form) of a person's name."""
        rng = self.rng
        first, surname = rng.choice(FIRST), rng.choice(SURNAMES)
        form = rng.choice(["full", "full", "lower_first", "initials", "title", "title_full", "relation"])
        if form == "full":
            return f"{first} {surname}", form
        if form == "lower_first":
            return f"{first.lower()} {surname}", form
        if form == "initials":
            initials = "".join(f"{c}." for c in rng.sample("ABCDEGHJKMPRSTW", rng.choice([1, 1, 2])))
            return f"{initials} {surname[0].upper() + surname[1:]}" if rng.random() < 0.3 else f"{initials} {surname}", form
        if form == "title":
            return f"{rng.choice(TITLES)} {surname}", form
        if form == "title_full":
            return f"{rng.choice(TITLES)} {first} {surname}", form
        return f"{rng.choice(RELATIONS)} {first}", form

    def note(self) -> Note:
        """One note from a random template."""
        rng = self.rng
        note = Note("")
        parts: list[str] = []
        name, _form = self.name()
        note.planted.append(("name", name))
        parts.append(f"{name} {rng.choice(['belt over', 'meldt', 'vraagt naar', 'heeft een vraag over', 'belde over'])} "
                     f"{rng.choice(TOPICS)}.")
        if rng.random() < 0.6:
            street, number = rng.choice(STREET_LIST), rng.choice(NUMBERS)
            note.planted.append(("street_number", f"{street} {number}"))
            address = f"{street} {number}"
            if rng.random() < 0.6:
                postcode = self.postcode()
                note.planted.append(("postcode", postcode))
                address += f", {postcode}"
                place = rng.choice(PLACES)
                note.kept.append(("place", place))
                address += f" {place}"
            parts.append(rng.choice(["Adres", "Woont", "Adres:", "woonachtig"]) + f" {address}.")
        elif rng.random() < 0.5:
            postcode = self.postcode()
            note.planted.append(("postcode", postcode))
            parts.append(f"Postcode {postcode}.")
        if rng.random() < 0.45:
            birth = self.birth_date()
            note.planted.append(("birth_date", birth))
            parts.append(f"{rng.choice(['Geb.', 'geboren', 'geboortedatum', 'Geboortedatum:', 'geb'])} {birth}.")
        if rng.random() < 0.35:
            second, _ = self.name()
            note.planted.append(("name", second))
            parts.append(f"Terugbellen door {second}." if rng.random() < 0.5 else f"Ook {second} heeft gebeld.")
        street = rng.choice(STREET_LIST)
        note.kept.append(("street", street))
        place = rng.choice(PLACES)
        note.kept.append(("place", place))
        ordinary = rng.choice(ORDINARY)
        note.kept.append(("word", ordinary))
        parts.append(f"Probleem bij de {street} in {place}, {ordinary}.")
        parts.append(f"Doorgezet naar {rng.choice(TEAMS)}, terugbellen binnen 24 uur.")
        middle = parts[1:-1]
        rng.shuffle(middle)
        note.text = " ".join([parts[0], *middle, parts[-1]])
        return note

    def postcode(self) -> str:
        """A postcode in one of the ways people write it."""
        digits = f"{self.rng.randrange(1000, 9999)}"
        letters = "".join(self.rng.choice("ABCEGHJKLMNPRTVWXZ") for _ in range(2))
        return self.rng.choice([f"{digits} {letters}", f"{digits}{letters}", f"{digits}{letters.lower()}"])

    def birth_date(self) -> str:
        """A birth date in one of the ways people write it."""
        rng = self.rng
        day, month, year = rng.randint(1, 28), rng.randint(1, 12), rng.randint(1925, 2005)
        return rng.choice([f"{day:02d}-{month:02d}-{year}", f"{day}-{month}-{year}", f"{day} {MONTHS[month - 1]} {year}",
                           f"{year}-{month:02d}-{day:02d}", f"{day:02d}/{month:02d}/{year}", f"{day}.{month}.{year}"])


_PARTICLE_WORDS = frozenset("van de der den ter ten te het 't in op la el".split())
_NOT_NAME_WORDS = frozenset(w.lower().rstrip(".:") for w in TITLES + RELATIONS for w in w.split()) | {"heer"}


def removed(kind: str, value: str, redacted: str) -> bool:
    """Whether the personal part of a planted value is gone from the redacted text."""
    if kind == "name":
        words = [w for w in re.findall(r"[^\W\d_]+", value) if w.lower() not in _PARTICLE_WORDS
                 and w.lower() not in _NOT_NAME_WORDS and len(w) > 1]
        return not any(re.search(rf"(?<![\w\[]){re.escape(w)}(?![\w\]])", redacted) for w in words)
    return value not in redacted


def evaluate(redact: Callable[[str], tuple[str, list[str]]], count: int = 2_000, seed: int = 2024
             ) -> dict[str, float]:
    """Removal rate per planted kind and kept rate per kept kind over `count` generated notes."""
    generator = NoteGenerator(seed)
    planted: Counter[str] = Counter()
    gone: Counter[str] = Counter()
    kept_total: Counter[str] = Counter()
    kept: Counter[str] = Counter()
    for _ in range(count):
        note = generator.note()
        text, _kinds = redact(note.text)
        for kind, value in note.planted:
            planted[kind] += 1
            gone[kind] += removed(kind, value, text)
        for kind, value in note.kept:
            kept_total[kind] += 1
            kept[kind] += value in text
    result = {f"removed_{k}": gone[k] / planted[k] for k in sorted(planted)}
    result["removed_all"] = sum(gone.values()) / max(1, sum(planted.values()))
    result.update({f"kept_{k}": kept[k] / kept_total[k] for k in sorted(kept_total)})
    result["kept_all"] = sum(kept.values()) / max(1, sum(kept_total.values()))
    return result


def failures(redact: Callable[[str], tuple[str, list[str]]], count: int = 200, seed: int = 2024
             ) -> list[tuple[str, str, str, str]]:
    """(kind, value, note, redacted) for each planted value left or kept value lost; for tuning and tests."""
    generator = NoteGenerator(seed)
    out = []
    for _ in range(count):
        note = generator.note()
        text, _ = redact(note.text)
        out += [(k, v, note.text, text) for k, v in note.planted if not removed(k, v, text)]
        out += [("kept:" + k, v, note.text, text) for k, v in note.kept if v not in text]
    return out
