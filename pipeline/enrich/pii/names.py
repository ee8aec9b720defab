"""Names of people in free text: first names, surnames with particles, initials, and names after a title.

A word scan (no model) over the text, using the name lists of `wordlists.py`:
- after a title or a relation word ("mw.", "dhr.", "meneer", "namens", "zoon") the name that follows;
- initials with a surname ("T. Brouwer", "J.P. van Dam");
- a first name with a surname ("Petra de Vries", "henk Bakker");
- a particle with a listed surname ("van der Heijden", "de Groot");
- a listed first name or surname alone, when it is not also an ordinary word ("Lisa", "Yilmaz").
Places ("De Bilt", "Den Dolder"), streets and ordinary words ("Roos", "Bakker" alone) stay.
"""
from __future__ import annotations

import re
from typing import Iterator

from pipeline.enrich.pii.wordlists import NameLists, name_lists, street_names

_TOKEN = re.compile(r"'t\b|[^\W\d_](?:[\w'’]|-(?=[^\W\d_]))*")
_URLISH = re.compile(r"(?:https?://|www\.)\S+|[\w.+\-]+@\S+")
_TITLES = frozenset("""mw mevr mevrouw dhr hr heer meneer mijnheer mnr fam familie mr dr drs ir ing
    namens zoon dochter vader moeder broer zus zuster buurman buurvrouw partner echtgenoot echtgenote
    kleinzoon kleindochter oom tante schoonzoon schoondochter contactpersoon genaamd heet naam""".split())
_PARTICLES = frozenset("van de der den ter ten te het 't in op la le el al da dos du von di del d' bin uit aan bij".split())
_LEADING_PARTICLES = frozenset("van de den der ter ten 't la le el da dos du von di del d'".split())
# Capitalised particles that start a surname far more often than a sentence ("El Khatib", "Van Dam").
_TRIGGER_PARTICLES = frozenset("van den der ter ten el la le da dos du von di del".split())
_STREET_LIKE = re.compile(r"(?:straat|laan|weg|plein|singel|gracht|kade|dreef|steeg|plantsoen|kwartier|wijk|buurt)$")
_GAP_AFTER_TITLE = re.compile(r"\.?:?,?[ ]{1,2}|\.")
_GAP = re.compile(r"[ ]{1,2}")
_INITIAL = re.compile(r"[A-Z](?<![\w.][A-Z])\.")
_CAPITALISED = re.compile(r"[A-ZÀ-Þ](?<![\w\[@#/][A-ZÀ-Þ])[^\W\d_]*")
# Every character that is not part of a word becomes a space (fast splitting into words in C). Word characters
# map to themselves: a character missing from the table costs str.translate a failed lookup.
_PUNCTUATION_TO_SPACE = {c: c if chr(c).isalnum() or chr(c) in "'’-" else " " for c in range(0x3000)}
_PUNCTUATION_TO_SPACE_ASCII = bytes(ord(" ") if _PUNCTUATION_TO_SPACE[c] == " " else c for c in range(256))   # as bytes
_SENTENCE_END = frozenset(".!?:;\n")
MAX_FIRST_NAMES = 3
WINDOW_BEFORE = 40   # characters before a trigger word that a name can start in (title, initials, particles)
WINDOW_AFTER = 60    # characters after it that a name can run on in
MAX_PARTICLES = 3


class _Tok:
    """One word of the text with its position and the forms the rules look at."""

    __slots__ = ("start", "end", "word", "lower", "upper_first", "initial", "protected", "trigger")

    def __init__(self, start: int, word: str, text: str) -> None:
        self.start = start
        self.end = end = start + len(word)
        self.word = word
        self.lower = word.lower()
        first_upper = word[0].isupper()
        if len(word) == 1:
            self.upper_first = first_upper
            self.initial = first_upper and text[end:end + 1] == "."
        else:
            self.initial = False
            self.upper_first = first_upper and not word.isupper()
            if self.upper_first and "-" in word:   # "Jansen-Bakker", "Jansen-de": yes; "Wmo-aanvraag": no
                self.upper_first = all(part[:1].isupper() or part.lower() in _PARTICLES for part in word.split("-")[1:])
        self.protected = False
        self.trigger = True


def _tokens(text: str, keep: frozenset[str] = frozenset(), start: int = 0, end: int | None = None) -> list[_Tok]:
    """The words of the text that can be part of a name or place (capitalised, short, or in `keep`; all words when
    `keep` is empty), leaving out placeholders ("[naam]"), handles, hashtags, URLs and e-mail. A word left out
    breaks the run of words around it, as a word that is no part of a name does."""
    skip: list[tuple[int, int]] = []
    if "http" in text or "www." in text or "@" in text:
        skip = [m.span() for m in _URLISH.finditer(text)]
    end = len(text) if end is None else end
    while start > 0 and (text[start - 1].isalnum() or text[start - 1] in "'’-"):
        start -= 1   # never start inside a word
    while end < len(text) and (text[end].isalnum() or text[end] in "'’-"):
        end += 1
    out = []
    for match in _TOKEN.finditer(text, start, end):
        start = match.start()
        if start and text[start - 1] in "[@#_/":
            continue
        if skip and any(a <= start < b for a, b in skip):
            continue
        word = match.group()
        if keep and not (word[0].isupper() or len(word) <= 3 or word.lower() in keep):
            continue
        out.append(_Tok(start, word, text))
    return out


class NameFinder:
    """Finds the character spans of people's names in a text."""

    def __init__(self, lists: NameLists | None = None, streets: frozenset[str] | None = None) -> None:
        self._lists = lists
        self._streets = streets
        self._trigger_sets: tuple[frozenset[str], frozenset[str]] | None = None
        self._starts: frozenset[str] = frozenset()
        self._keep: frozenset[str] = frozenset()
        self._ambiguous_triggers: frozenset[str] = frozenset()
        self._phrase_heads: frozenset[str] = frozenset()

    @property
    def lists(self) -> NameLists:
        """The name lists (loaded on first use)."""
        if self._lists is None:
            self._lists = name_lists()
        return self._lists

    @property
    def streets(self) -> frozenset[str]:
        """The street names (loaded on first use)."""
        if self._streets is None:
            self._streets = street_names()
        return self._streets

    def load(self) -> None:
        """Load the lists and build the trigger sets now rather than on the first text."""
        self._triggers()

    def _protect(self, text: str, toks: list[_Tok]) -> None:
        """Mark the words of multi-word places and streets ("Huis ter Heide", "Prins Hendriklaan")."""
        places, streets = self.lists.places, self.streets
        n = len(toks)
        heads = self._phrase_heads
        for i, tok in enumerate(toks):
            if not tok.upper_first or tok.protected or tok.lower not in heads:
                continue
            if i and (toks[i - 1].initial or toks[i - 1].lower in _TITLES):
                continue   # "C. Ter Horst", "mw Van Dam": a name, even when a street or place has that name
            for size in (4, 3, 2):
                if i + size > n:
                    continue
                phrase = " ".join(t.lower for t in toks[i:i + size])
                if (phrase in places or phrase in streets) and all(
                        text[toks[m].end:toks[m + 1].start] == " " for m in range(i, i + size - 1)):
                    for m in range(i, i + size):
                        toks[m].protected = True
                    break

    def _triggers(self) -> tuple[frozenset[str], frozenset[str]]:
        """Words that can start a name: in any case (capitalised), and in lower case (not ordinary words)."""
        if self._trigger_sets is None:
            lists = self.lists
            names = lists.first | lists.surname
            single_places = frozenset(p for p in lists.places if " " not in p)
            capitalised = ((((names - lists.ambiguous - lists.not_names - single_places) | lists.interfix_surname)
                            - _PARTICLES) | _TITLES | _TRIGGER_PARTICLES)
            lower = (names - lists.ambiguous - lists.not_names) | _TITLES
            self._trigger_sets = (capitalised, lower)
            self._ambiguous_triggers = (names & lists.ambiguous) - lists.not_names - single_places - _PARTICLES
            self._starts = names | lists.interfix_surname | _PARTICLES
            self._keep = self._starts | _TITLES | lists.place_words
            heads = {phrase.split(" ", 1)[0] for phrase in lists.places if " " in phrase}
            heads.update(phrase.split(" ", 1)[0] for phrase in self.streets if " " in phrase)
            self._phrase_heads = frozenset(heads)
        return self._trigger_sets

    def may_contain_name(self, text: str) -> bool:
        """Cheap pre-check: an initial, a title, or a listed name word (capitalised, or lower-case and unambiguous)."""
        return bool(self._trigger_words(text))

    def _trigger_words(self, text: str) -> list[str]:
        """The words of the text (as written) that can be part of a name and show one may be there."""
        capitalised, lower = self._triggers()
        found = [m.group()[0] for m in _INITIAL.finditer(text)] if "." in text else []
        if text.isascii():   # bytes.translate is a plain table; str.translate looks each character up in a dict
            words = set(text.encode("ascii").translate(_PUNCTUATION_TO_SPACE_ASCII).decode("ascii").split())
        else:
            words = set(text.translate(_PUNCTUATION_TO_SPACE).split())
        found += lower.intersection(words)
        lowered = {word.lower() for word in words if word[0].isupper()}   # split() gives no empty words
        if lowered:
            hits = capitalised.intersection(lowered)
            if hits:
                found += [word for word in words if word[0].isupper() and word.lower() in hits]
            if not self._ambiguous_triggers.isdisjoint(lowered):
                ambiguous = self._ambiguous_triggers
                for match in _CAPITALISED.finditer(text):
                    word = match.group()
                    if word.lower() in ambiguous and not _sentence_start(text, match.start()):
                        found.append(word)   # "Wei Schouten", "Roos Bakker": an ordinary word mid-sentence
        return found

    def _windows(self, text: str, triggers: list[str]) -> list[tuple[int, int]]:
        """Stretches of text around each trigger word that hold any name it can be part of, merged."""
        spots: list[tuple[int, int]] = []
        for word in set(triggers):
            at = text.find(word)
            while at >= 0:
                spots.append((max(0, at - WINDOW_BEFORE), min(len(text), at + len(word) + WINDOW_AFTER)))
                at = text.find(word, at + len(word))
        spots.sort()
        merged: list[tuple[int, int]] = []
        for start, end in spots:
            if merged and start <= merged[-1][1]:
                merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
            else:
                merged.append((start, end))
        return merged

    def spans(self, text: str) -> list[tuple[int, int]]:
        """Non-overlapping (start, end) spans of names, in text order."""
        triggers = self._trigger_words(text)
        if not triggers:
            return []
        windows = self._windows(text, triggers)
        if len(windows) == 1 and windows[0] == (0, len(text)):
            toks = _tokens(text, self._keep)
        else:
            toks = [tok for start, end in windows for tok in _tokens(text, self._keep, start, end)]
        marks = set(triggers)
        for tok in toks:
            tok.trigger = tok.word in marks
        self._protect(text, toks)
        found: list[tuple[int, int]] = []
        i = 0
        starts = self._starts
        while i < len(toks):
            strong = i > 0 and toks[i - 1].lower in _TITLES and _gap_ok(text, toks[i - 1], toks[i], _GAP_AFTER_TITLE)
            tok = toks[i]
            end = self._name_at(text, toks, i, strong) if strong or tok.initial or tok.lower in starts else None
            if end is None or not (strong or any(t.trigger for t in toks[i:end])):
                i += 1   # a name holds a trigger word; elsewhere a window's edge may have cut its context off
                continue
            found.append((toks[i].start, toks[end - 1].end))
            i = end
        return found

    def _name_at(self, text: str, toks: list[_Tok], i: int, strong: bool) -> int | None:
        """The token index just after a name starting at token i, or None when no name starts there."""
        lists = self.lists
        n = len(toks)
        j = i
        initials = firsts = 0
        ambiguous_first = False
        while j < n and toks[j].initial and (j == i or _initial_gap(text, toks[j - 1], toks[j])):
            initials += 1
            j += 1
        while j < n and firsts < MAX_FIRST_NAMES and (j == i or _joined(text, toks[j - 1], toks[j])):
            level = self._first_level(toks[j], strong or firsts > 0)
            if not level or (firsts and toks[j].lower in _PARTICLES):
                break
            ambiguous_first |= level == 1 or toks[j].lower in lists.ambiguous
            firsts += 1
            j += 1
        k = j
        while (k < n and k - j < MAX_PARTICLES and toks[k].lower in _PARTICLES
               and (k == i or _joined(text, toks[k - 1], toks[k]))
               and (toks[k].lower in _LEADING_PARTICLES or k > j)):
            k += 1
        particles = k - j
        if k < n and k > i and _joined(text, toks[k - 1], toks[k]) and (
                _STREET_LIKE.search(toks[k].lower) or (toks[k].upper_first and _number_follows(text, toks[k].end))):
            return None   # part of a street name ("Anne Frankstraat", "Jan Steen 4")
        surname = (k < n and (k == i or _joined(text, toks[k - 1], toks[k]))
                   and self._is_surname(text, toks, k, particles, initials + firsts > 0 or strong,
                                        ambiguous_first and not strong and not initials))
        if surname:
            if firsts == 0 and initials == 0 and not strong and particles == 0:
                if toks[k].lower in lists.ambiguous or toks[k].lower not in lists.surname or not toks[k].upper_first:
                    return None
            end = k + 1
            while (end < n and toks[end - 1].lower.rsplit("-", 1)[-1] in _PARTICLES and "-" in toks[end - 1].word
                   and _joined(text, toks[end - 1], toks[end]) and toks[end].upper_first):
                end += 1
            if end < n and _joined(text, toks[end - 1], toks[end]) and _STREET_LIKE.search(toks[end].lower):
                return None   # a street named after someone ("Prins Hendriklaan")
            return end
        if initials and not firsts:
            return i + initials if strong else None
        if firsts:
            if strong:
                return j
            if firsts >= 2 and toks[j - 1].upper_first and self._is_surname(
                    text, toks, j - 1, 0, True, toks[j - 2].lower in lists.ambiguous):
                return j   # "truus Mensah": the last "first name" is the surname
            if ambiguous_first or not all(self._lone_first_ok(text, toks[m]) for m in range(i, j)):
                return None
            return j
        return None

    def _first_level(self, tok: _Tok, context: bool) -> int:
        """2: a first name; 1: a first name only when a listed surname follows ("Mei Mulder", "roos Bakker"); 0: not."""
        lists = self.lists
        if tok.lower not in lists.first or tok.protected:
            return 0
        if tok.upper_first:
            return 1 if tok.lower in lists.not_names else 2
        if tok.lower in lists.not_names:
            return 0
        if tok.lower in lists.ambiguous:
            return 1
        return 2 if context or len(tok.word) >= 3 else 1

    def _lone_first_ok(self, text: str, tok: _Tok) -> bool:
        """A first name without surname is removed unless it is a place word or too short to tell; in lower case
        only at the start of a sentence ("henk belt over"), as elsewhere it is more often a word ("where can")."""
        if len(tok.word) < 3 or tok.lower in self.lists.place_words:
            return False
        return tok.upper_first or _sentence_start(text, tok.start)

    def _is_surname(self, text: str, toks: list[_Tok], k: int, particles: int, after_name: bool,
                    listed_only: bool) -> bool:
        """Whether token k is a surname here (capitalised, not a place, street or ordinary verb)."""
        lists = self.lists
        tok = toks[k]
        if tok.lower in lists.not_names or _STREET_LIKE.search(tok.lower) or tok.initial or tok.protected:
            return False
        if not after_name and _is_place(lists, toks, k, particles):
            return False
        if _number_follows(text, tok.end):
            return False
        head = tok.lower.split("-")[0]
        listed = head in lists.surname or head in lists.interfix_surname
        if not tok.upper_first:
            if listed_only:
                return False
            if particles:
                return after_name and head in lists.interfix_surname
            return after_name and listed and tok.lower not in lists.ambiguous
        if listed_only and particles and toks[k - particles].lower in _LEADING_PARTICLES and toks[k - particles - 1].upper_first:
            return listed or head not in lists.ambiguous   # "Lieve El Khatib", "Roos van Dam"
        if listed_only or (particles and not after_name):
            return listed or (particles >= 2 and head not in lists.ambiguous)
        return True


def _sentence_start(text: str, start: int) -> bool:
    """True when only spaces stand between the word and the start of the text or a sentence end."""
    before = text[:start].rstrip(" ")
    return not before or before[-1] in _SENTENCE_END


def _is_place(lists: NameLists, toks: list[_Tok], k: int, particles: int) -> bool:
    """True when the word, alone or with the particles before it, names a place."""
    if toks[k].lower in lists.places:
        return True
    for back in range(1, particles + 1):
        phrase = " ".join(t.lower for t in toks[k - back:k + 1])
        if phrase in lists.places:
            return True
    if k >= 2 and f"{toks[k - 2].lower} {toks[k - 1].lower} {toks[k].lower}" in lists.places:
        return True
    return False


def _gap_ok(text: str, left: _Tok, right: _Tok, pattern: re.Pattern[str]) -> bool:
    """True when only the allowed separator stands between two words."""
    return pattern.fullmatch(text, left.end, right.start) is not None


def _joined(text: str, left: _Tok, right: _Tok) -> bool:
    """True when two words of one name follow each other (a space, or a full stop after an initial)."""
    if left.initial:
        return _initial_gap(text, left, right)
    return _GAP.fullmatch(text, left.end, right.start) is not None


def _initial_gap(text: str, left: _Tok, right: _Tok) -> bool:
    """After an initial: a full stop, optionally a space."""
    gap = text[left.end:right.start]
    return gap in (".", ". ", ".  ")


def _number_follows(text: str, end: int) -> bool:
    """True when a house number follows the word ("Jan Steen 4" is an address)."""
    rest = text[end:end + 13]
    return len(rest) >= 2 and rest[0] == " " and (rest[1].isdigit() or rest[1:] == "[huisnummer]")


_DEFAULT: NameFinder | None = None


def find_names(text: str) -> Iterator[tuple[int, int]]:
    """Spans of names in `text` with the shared finder."""
    global _DEFAULT
    if _DEFAULT is None:
        _DEFAULT = NameFinder()
    return iter(_DEFAULT.spans(text))
