"""Birth dates: a full date after "geb.", "geboren", "geboortedatum", or any full date before the cut-off year.

Dates of events in call notes are recent; a full date long ago is nearly always someone's birth date, so it is
removed even without a cue. A year alone is removed only after a birth cue ("geboren in 1956").
"""
from __future__ import annotations

import re

BIRTH_YEAR_CUTOFF = 2012   # full dates in or before this year are taken for birth dates
_MONTHS = (r"(?:januari|jan|februari|feb|maart|mrt|april|apr|mei|juni|jun|juli|jul|augustus|aug|september|"
           r"sept|sep|oktober|okt|november|nov|december|dec)\.?")
_CUE = r"(?:geb(?:oren)?\.?(?:[ ]?(?:op|in|d\.?d\.?))?|geboortedatum|geb\.?[ ]?datum|gebdat|dob|°|\*)"
BIRTH_DATE = re.compile(
    r"(?<![\w\-/.])(?:"
    r"(?:0?[1-9]|[12]\d|3[01])[ ]?[\-/.][ ]?(?:0?[1-9]|1[0-2])[ ]?[\-/.][ ]?(?P<y1>(?:19|20)\d\d)"
    r"|(?:0?[1-9]|[12]\d|3[01])[ ](?i:" + _MONTHS + r")[ ](?P<y2>(?:19|20)\d\d)"
    r"|(?P<y3>(?:19|20)\d\d)-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01])"
    r")(?![\w\-/]|[.]\d)")
_CUE_BEFORE = re.compile(_CUE + r"\W{0,3}$", re.IGNORECASE)
BIRTH_YEAR = re.compile(r"(?i:\bgeb(?:oren)?\.?[ ](?:in[ ])?(?:het[ ]jaar[ ])?)(?P<pii>(?:19|20)\d\d)\b")


def birth_date_ok(match: re.Match[str]) -> bool:
    """A full date is a birth date when a cue precedes it or its year is at most the cut-off."""
    year = int(match.group("y1") or match.group("y2") or match.group("y3"))
    if year <= BIRTH_YEAR_CUTOFF:
        return True
    before = match.string[max(0, match.start() - 20):match.start()]
    return _CUE_BEFORE.search(before) is not None
