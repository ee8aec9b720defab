"""Call-note and chat shorthand written out ("mw belt ivm" -> "mevrouw belt in verband met"), on normalised words."""
from __future__ import annotations

# Common Dutch abbreviations in contact-centre notes, e-mail and chat, written by the team from general usage.
SHORTHAND: dict[str, tuple[str, ...]] = {
    "mw": ("mevrouw",), "mvr": ("mevrouw",), "mevr": ("mevrouw",), "dhr": ("meneer",), "hr": ("meneer",),
    "ivm": ("in", "verband", "met"), "iom": ("in", "overleg", "met"), "mbt": ("met", "betrekking", "tot"),
    "thv": ("ter", "hoogte", "van"), "tov": ("ten", "opzichte", "van"), "tav": ("ter", "attentie", "van"),
    "ipv": ("in", "plaats", "van"), "icm": ("in", "combinatie", "met"), "miv": ("met", "ingang", "van"),
    "zsm": ("zo", "snel", "mogelijk"), "oa": ("onder", "andere"), "evt": ("eventueel",), "ca": ("circa",),
    "nr": ("nummer",), "tel": ("telefoon",), "wk": ("week",), "wkn": ("weken",), "mnd": ("maand",),
    "mndn": ("maanden",), "vd": ("van", "de"), "vh": ("van", "het"), "aub": ("alstublieft",),
    "svp": ("alstublieft",), "mvg": ("met", "vriendelijke", "groet"), "gr": ("groet",), "bvd": ("bedankt",),
    "ws": ("waarschijnlijk",), "idd": ("inderdaad",), "ff": ("even",), "nav": ("naar", "aanleiding", "van"),
    "kcc": ("klantcontactcentrum",), "bsn": ("burgerservicenummer",), "gem": ("gemeente",),
    "str": ("straat",), "zgn": ("zogenaamde",), "obv": ("op", "basis", "van"),
}
_INITIALS_RUN = 2
_TRIGGERS = frozenset(SHORTHAND) | frozenset("abcdefghijklmnopqrstuvwxyz")


def expand_shorthand(words: list[str]) -> list[str]:
    """Join runs of single letters ("i v m" from "i.v.m.") and write out known abbreviations."""
    if _TRIGGERS.isdisjoint(words):
        return words
    out: list[str] = []
    done, n = 0, len(words)   # words[:done] are handled
    for k in [k for k, word in enumerate(words) if word in _TRIGGERS]:
        if k < done:
            continue   # inside a run of single letters already joined
        word = words[k]
        if len(word) == 1:
            j = k + 1
            while j < n and len(words[j]) == 1 and words[j].isalpha():
                j += 1
            if j - k < _INITIALS_RUN:
                continue   # a lone letter stays as it is
            joined = "".join(words[k:j])
            out.extend(words[done:k])
            out.extend(SHORTHAND.get(joined, (joined,)))
            done = j
        else:
            out.extend(words[done:k])
            out.extend(SHORTHAND[word])
            done = k + 1
    if not done:
        return words
    out.extend(words[done:])
    return out
