"""Render demo messages: fill template slots, add the noise of real posts, and build author, url and meta."""
from __future__ import annotations

import random
import re
import string
from datetime import datetime
from functools import lru_cache
from typing import Any

from pipeline.sources.demo import pii
from pipeline.sources.demo.text import (
    ACCOUNT,
    CALL_TEAMS,
    DEPARTMENTS,
    EN_PLACE_PHRASES,
    EN_SLOT_BANK,
    EN_VAGUE_PLACES,
    FOLLOW_UPS,
    GENERAL_HASHTAGS,
    PLACE_PHRASES,
    PLACE_WEIGHTS,
    SENTIMENT_MARKS,
    SITE_PAGES,
    SLOT_BANK,
    SPIKE_DEPARTMENTS,
    SPIKE_PLACE,
    SPIKE_STREET,
    STREETS,
    TOPIC_HASHTAGS,
    TYPOS,
    VAGUE_PLACES,
)
from pipeline.sources.demo.text_calls import CALLBACKS, CALLERS, PII_TAILS

SLOT = re.compile(r"\{(\w+)\}")
NEIGHBOURHOODS: tuple[str, ...] = tuple(STREETS)
_PLACE_WEIGHTS = [PLACE_WEIGHTS.get(name, 1.0) for name in NEIGHBOURHOODS]
# Slots filled straight from a fake-data generator.
PII_SLOTS = {"huisnr": pii.house_number, "pc": pii.postcode, "tel": pii.phone_number, "bsn": pii.bsn,
             "iban": pii.iban, "kenteken": pii.licence_plate, "kenteken2": pii.licence_plate}
_TYPO_PATTERNS = tuple((word, re.compile(rf"\b{re.escape(word)}\b", re.IGNORECASE), typo) for word, typo in TYPOS)
_TYPO_WORDS = re.compile(r"\b(" + "|".join(sorted({re.escape(w) for w, _ in TYPOS}, key=len, reverse=True)) + r")\b",
                         re.IGNORECASE)
_SPACE_BEFORE_MARK = re.compile(r"\s+([!?.,:;]+)(?=\s|$)")
_DOUBLE_STOP = re.compile(r"([!?.])\.(?=\s|$)")
_SPACES = re.compile(r"[ \t]{2,}")
TWITTER_EPOCH_MS = 1288834974657
SEARCH_ENTRY_WEIGHTS = {"=": 2.5, "~": 1.0, "0": 1.2}
TYPO_ZERO_CHANCE = 0.55
SPIKE_HASHTAGS = ("#slotlaan", "#wegwerkzaamheden", "#zeistcentrum", "#omleiding")


def split_mark(entry: str) -> tuple[str, str]:
    """'- text' -> ('negative', 'text'): the sentiment mark and the template of a bank entry."""
    return SENTIMENT_MARKS[entry[0]], entry[2:]


def choose_neighbourhood(rng: random.Random) -> str:
    """A neighbourhood, the centre and the larger ones more often."""
    return rng.choices(NEIGHBOURHOODS, weights=_PLACE_WEIGHTS)[0]


def place_name(place: str) -> str:
    """A neighbourhood as used in a sentence: 'het centrum', 'het Lyceumkwartier', 'Vollenhove'."""
    if place == SPIKE_PLACE:
        return "het centrum"
    if place.endswith(("kwartier", "park")):
        return f"het {place}"
    return place


def in_place(place: str) -> str:
    """How residents say 'in <place>': 'in het centrum', 'in het Lyceumkwartier', 'in Vollenhove'."""
    return f"in {place_name(place)}"


class Filler:
    """Fills the {slots} of one message from its random generator; a slot repeated in a message keeps its value."""

    def __init__(self, rng: random.Random, topic: str, channel: str, place: str | None = None,
                 spike: bool = False, language: str = "nl") -> None:
        """Start an empty message; `place` may be fixed up front (call notes, the spike) or chosen on first use."""
        self.rng = rng
        self.english = language == "en"
        self.topic = topic
        self.channel = channel
        self.place = place
        self.spike = spike
        self.place_named = False
        self.callback = False
        self.forwarded_to: str | None = None
        self.values: dict[str, str] = {}
        self._person: tuple[str, str] | None = None

    def fill(self, template: str, depth: int = 0) -> str:
        """The template with every slot replaced (slots may contain slots, up to a few levels)."""
        if depth > 4:
            return template
        return SLOT.sub(lambda match: self.fill(self.value(match.group(1)), depth + 1), template)

    def value(self, name: str) -> str:
        """The value of one slot, drawn once per message."""
        if name not in self.values:
            if self.english and name in EN_SLOT_BANK:
                self.values[name] = self.rng.choice(EN_SLOT_BANK[name])
            elif name in SLOT_BANK:
                self.values[name] = self.rng.choice(SLOT_BANK[name])
            elif name in PII_SLOTS:
                self.values[name] = PII_SLOTS[name](self.rng)
            else:
                maker = getattr(self, f"_slot_{name}", None)
                if maker is None:
                    raise KeyError(f"unknown demo template slot {{{name}}}")
                self.values[name] = maker()
        return self.values[name]

    def use_place(self) -> str:
        """The message's neighbourhood, chosen on first use; marks it as named in the text."""
        if self.place is None:
            self.place = SPIKE_PLACE if self.spike else choose_neighbourhood(self.rng)
        self.place_named = True
        return self.place

    def person(self) -> tuple[str, str]:
        """The caller's or poster's first name and surname, one per message."""
        if self._person is None:
            self._person = pii.person_name(self.rng)
        return self._person

    def _slot_plek(self) -> str:
        """A place phrase ('hier in Vollenhove', 'op de Slotlaan') or, now and then, a vague one."""
        vague = not self.spike and self.rng.random() < 0.2
        if self.english:
            return self.rng.choice(EN_VAGUE_PLACES if vague else EN_PLACE_PHRASES)
        return self.rng.choice(VAGUE_PLACES if vague else PLACE_PHRASES)

    def _slot_in_wijk(self) -> str:
        """'in' plus the neighbourhood."""
        place = self.use_place()
        return f"in {self._slot_wijk()}" if self.english else in_place(place)

    def _slot_wijk(self) -> str:
        """The neighbourhood as used in a sentence."""
        place = self.use_place()
        if self.english:
            return "Zeist centre" if place == SPIKE_PLACE else place
        return place_name(place)

    def _slot_straat(self) -> str:
        """A street in the message's neighbourhood (the Slotlaan in the spike)."""
        place = self.use_place()
        if self.spike:
            return SPIKE_STREET
        return self.rng.choice(STREETS[place])

    def _slot_adres(self) -> str:
        """Street and house number."""
        return "{straat} {huisnr}"

    def _slot_email(self) -> str:
        """An e-mail address built from the caller's name."""
        first, surname = self.person()
        return pii.email_address(self.rng, first, surname)

    def _slot_klant(self) -> str:
        """How the note names the caller."""
        return self.rng.choice(CALLERS)

    def _slot_voornaam(self) -> str:
        """The caller's first name."""
        return self.person()[0]

    def _slot_achternaam(self) -> str:
        """The surname as written after a title ('dhr. De Vries')."""
        return pii.surname_title(self.person()[1])

    def _slot_familienaam(self) -> str:
        """The surname as written after initials ('J. de Vries')."""
        return self.person()[1]

    def _slot_voorletter(self) -> str:
        """The caller's initial."""
        return self.person()[0][0]

    def _slot_volle_naam(self) -> str:
        """First name and surname."""
        first, surname = self.person()
        return f"{first} {surname}"

    def _slot_tb(self) -> str:
        """A callback request (sets meta.callback)."""
        self.callback = True
        return self.rng.choice(CALLBACKS)

    def _slot_door(self) -> str:
        """The department the note is forwarded to (sets meta.forwarded_to)."""
        self.forwarded_to = self.rng.choice(SPIKE_DEPARTMENTS if self.spike else DEPARTMENTS[self.topic])
        return self.forwarded_to

    def _slot_foto(self) -> str:
        """A shortened photo link in tweets; nothing elsewhere."""
        if self.channel != "twitter":
            return ""
        return "https://t.co/" + "".join(self.rng.choice(string.ascii_letters + string.digits) for _ in range(10))

    def _slot_link(self) -> str:
        """The municipal page for the topic."""
        return f"https://www.zeist.nl/{SITE_PAGES[self.topic]}"


def tidy(text: str) -> str:
    """Collapse spaces, pull stray spaces out before punctuation and trim."""
    text = _SPACE_BEFORE_MARK.sub(r"\1", text)
    text = _DOUBLE_STOP.sub(r"\1", text)
    return _SPACES.sub(" ", text).strip()


def join_sentences(first: str, second: str) -> str:
    """Append a follow-up sentence, adding a full stop when the first ends in a word."""
    first = first.rstrip()
    if first and first[-1].isalnum():
        first += "."
    return f"{first} {second}"


def add_typos(text: str, rng: random.Random) -> str:
    """Now and then swap a word for a common misspelling; most messages stay clean."""
    if rng.random() < 0.45:
        return text
    present = {match.lower() for match in _TYPO_WORDS.findall(text)}
    for word, pattern, typo in _TYPO_PATTERNS:
        if word in present and rng.random() < 0.35:
            text = pattern.sub(typo, text, count=1)
    return text


def casual_case(text: str, rng: random.Random) -> str:
    """Mostly a capital first letter; sometimes all lower case, as typed on a phone."""
    if not text:
        return text
    if rng.random() < 0.18:
        return text.lower()
    return text[0].upper() + text[1:]


def render_social(rng: random.Random, channel: str, topic: str, sentiment: str, template: str, spike: bool,
                  language: str) -> tuple[str, str | None]:
    """The text of a tweet or Facebook comment, and the neighbourhood it names (or None)."""
    filler = Filler(rng, topic, channel, spike=spike, language=language)
    text = filler.fill(template)
    if language == "nl":
        if rng.random() < (0.4 if channel == "facebook" else 0.18):
            text = join_sentences(text, filler.fill(rng.choice(FOLLOW_UPS[sentiment])))
        text = add_typos(text, rng)
    text = casual_case(tidy(text), rng)
    text = decorate_tweet(text, rng, topic, spike) if channel == "twitter" else decorate_comment(text, rng)
    return text, (filler.place if filler.place_named else None)


def decorate_tweet(text: str, rng: random.Random, topic: str, spike: bool) -> str:
    """Add the municipality's handle and some hashtags the way people tweet."""
    roll = rng.random()
    if roll < 0.55:
        text = f"{ACCOUNT} {text}"
    elif roll < 0.65:
        text = f"{text} {ACCOUNT}"
    elif roll < 0.70:
        text = f"@{make_handle(rng).lstrip('@')} {ACCOUNT} {text}"
    if rng.random() < (0.5 if spike else 0.3):
        pool = SPIKE_HASHTAGS if spike else TOPIC_HASHTAGS[topic]
        tags = [rng.choice(pool)]
        if rng.random() < 0.5:
            tags.append(rng.choice(GENERAL_HASHTAGS))
        fresh = [tag for tag in dict.fromkeys(tags) if tag.lower() not in text.lower()]
        if fresh:
            text = f"{text} {' '.join(fresh)}"
    return text


def decorate_comment(text: str, rng: random.Random) -> str:
    """Facebook comments sometimes tag a friend by name first."""
    if rng.random() < 0.08:
        first, surname = pii.person_name(rng)
        return f"{first} {surname} {rng.choice(('kijk dit', 'zie je dit?', 'precies dit', 'herkenbaar'))}. {text}"
    return text


def render_call(rng: random.Random, topic: str, template: str, spike: bool) -> tuple[str, dict[str, Any], str | None]:
    """The text and meta {team, callback, forwarded_to, neighbourhood} of a call note, and its neighbourhood."""
    place = SPIKE_PLACE if spike else (choose_neighbourhood(rng) if rng.random() < 0.8 else None)
    filler = Filler(rng, topic, "call_note", place=place, spike=spike)
    text = filler.fill(template)
    if rng.random() < 0.45:
        tail = rng.choice(PII_TAILS)
        if not any(name in filler.values for name in SLOT.findall(tail)):
            text = join_sentences(text, filler.fill(tail))
    if rng.random() < 0.35:
        text = text[0].lower() + text[1:]
    forwarded = filler.forwarded_to
    if forwarded is None and rng.random() < 0.2:
        forwarded = rng.choice(SPIKE_DEPARTMENTS if spike else DEPARTMENTS[topic])
    meta: dict[str, Any] = {"team": rng.choice(CALL_TEAMS), "callback": filler.callback or rng.random() < 0.05}
    if forwarded:
        meta["forwarded_to"] = forwarded
    if filler.place:
        meta["neighbourhood"] = filler.place
    return tidy(text), meta, filler.place


def pick_search(rng: random.Random, entries: tuple[str, ...]) -> str:
    """A query entry: popular queries that find pages are searched more than misspellings and gaps."""
    return rng.choices(entries, weights=[SEARCH_ENTRY_WEIGHTS[entry[0]] for entry in entries])[0]


def render_search(rng: random.Random, entry: str) -> tuple[str, int]:
    """A site-search query as typed and the number of results the site returned."""
    mark, query = entry[0], entry[2:]
    if mark == "0":
        results = 0
    elif mark == "~":
        results = 0 if rng.random() < TYPO_ZERO_CHANCE else rng.randint(1, 12)
    else:
        results = min(250, int(rng.paretovariate(1.1) * 4))
    roll = rng.random()
    if roll < 0.1:
        query = query[0].upper() + query[1:]
    elif roll < 0.14:
        query = f"{query} zeist"
    return query, results


def make_handle(rng: random.Random) -> str:
    """A Twitter/X handle (with @, at most 15 characters after it)."""
    first, surname = pii.person_name(rng)
    last = surname.replace(" ", "")
    pattern = rng.randrange(7)
    if pattern == 0:
        handle = f"{first.lower()}_{last.lower()}"
    elif pattern == 1:
        handle = f"{first}{last}{rng.randint(1, 99)}"
    elif pattern == 2:
        handle = f"{first.lower()}_uit_zeist"
    elif pattern == 3:
        handle = f"zeistenaar{rng.randint(1, 999)}"
    elif pattern == 4:
        handle = f"{first[0].lower()}{last.lower()}{rng.randint(60, 99)}"
    elif pattern == 5:
        handle = f"{first.lower()}_{last[:3].lower()}"
    else:
        handle = f"{rng.choice(('buurman', 'buurvrouw', 'fietser', 'mama', 'opa'))}_{first.lower()}"
    return "@" + handle[:15]


@lru_cache(maxsize=16)
def author_pool(seed: int, channel: str) -> tuple[str, ...]:
    """The recurring authors of a channel for a seed: handles, Facebook names or contact-centre staff ids."""
    rng = random.Random(f"{seed}:authors:{channel}")
    if channel == "twitter":
        return tuple(dict.fromkeys(make_handle(rng) for _ in range(400)))
    if channel == "facebook":
        return tuple(dict.fromkeys(" ".join(pii.person_name(rng)) for _ in range(400)))
    return tuple(f"kcc-{number:03d}" for number in rng.sample(range(1, 120), 14))


def pick_author(rng: random.Random, seed: int, channel: str) -> str:
    """An author, a few active people far more often than the rest."""
    pool = author_pool(seed, channel)
    return pool[int(len(pool) * rng.random() ** 2.2)]


def social_url(rng: random.Random, channel: str, author: str, moment: datetime, index: int) -> str:
    """A link to the post in the form the platform uses."""
    if channel == "twitter":
        status = ((int(moment.timestamp() * 1000) - TWITTER_EPOCH_MS) << 22) | (index % (1 << 22))
        return f"https://x.com/{author.lstrip('@')}/status/{status}"
    post = rng.randrange(10**14, 10**15)
    return f"https://www.facebook.com/gemeentezeist/posts/{post}?comment_id={rng.randrange(10**15, 10**16)}"
