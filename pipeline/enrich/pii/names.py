"""Full names without a title ("Petra de Vries belde"): a common Dutch first name and a surname.

The first-name list is short and team-written; a name is only redacted when a capitalised surname
follows, so a lone "Jan" or "Kees" stays (too ambiguous to remove without a name model).
"""
from __future__ import annotations

import re

FIRST_NAMES: tuple[str, ...] = tuple("""
Aad Adrie Anja Anna Anne Annemarie Anneke Annie Anouk Arie Arjan Arjen Bart Bas Bea Ben Bert Bianca
Bram Carla Carolien Cees Chantal Chris Daan Danielle Dennis Dick Diederik Dirk Edwin Eline Els Els
Emma Erik Esther Eva Evert Femke Floor Frank Frans Freek Gerard Gerda Gerrit Gert Geert Greet Hans Harm
Hanneke Hein Hendrik Henk Herman Hetty Ilse Inge Ingrid Iris Ivo Jaap Jacob Jan Janneke Jannie Jasper
Jeroen Jesse Joke Joop Joost Jorien Jos Josje Joyce Judith Julia Karin Kees Kim Klaas Koen Laura Lars
Lieke Lisa Lotte Luuk Maaike Marco Marcel Margreet Maria Marieke Marijke Marjan Mark Martijn Martin
Mieke Milan Mirjam Monique Nicole Niels Nienke Noor Paul Peter Petra Piet Pim Priscilla Rob Robert
Roel Ronald Rik Rianne Ria Rinus Roos Ruud Sander Sanne Saskia Sem Simone Sjaak Sophie Stefan Thijs
Thomas Tineke Tom Ton Truus Wendy Wil Willem Wim Wouter Yvonne Youssef Mohammed Mohamed Fatima Ahmed
Ayoub Said Samira Hatice Mehmet Emre Fatma Yasmina Khadija
""".split())

_INFIX = r"(?:[Vv]an|[Dd]e|[Dd]en|[Dd]er|[Hh]et|'t|[Tt]en|[Tt]er|[Tt]e|[Ii]n|[Oo]p|[Ll]a|[Ll]e|[Ee]l)"
FULL_NAME = re.compile(
    r"(?<![\w@#\-])(?:" + "|".join(sorted(set(FIRST_NAMES), key=len, reverse=True)) + r")"
    r"[ ](?:(?:[A-Z]\.[ ]?){1,3})?(?:" + _INFIX + r"[ ]){0,3}"
    r"(?P<surname>[A-Z][a-zà-ÿ'’]+(?:-[A-Z][a-zà-ÿ'’]+)?)(?![\w\-])"
)


_FIRST_NAME_SET = frozenset(FIRST_NAMES)
_CAPITALISED = re.compile(r"\b[A-Z][a-z]+\b")
_STREET_LIKE = re.compile(r"(?:straat|laan|weg|plein|singel|gracht|kade|dreef|steeg|plantsoen)$")
_NUMBER_NEXT = re.compile(r"[ ]{1,2}\d")


def may_contain_full_name(text: str) -> bool:
    """Cheap pre-check: some capitalised word of the text is a listed first name."""
    return not _FIRST_NAME_SET.isdisjoint(_CAPITALISED.findall(text))


def full_name_ok(match: re.Match[str], not_names: frozenset[str]) -> bool:
    """Reject a surname that is a common word or a street ("Anne Frankstraat", "Jan Steen 4")."""
    surname = match.group("surname")
    if surname.lower() in not_names or _STREET_LIKE.search(surname.lower()):
        return False
    return _NUMBER_NEXT.match(match.string, match.end()) is None
