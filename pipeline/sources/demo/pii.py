"""Fake but well-formed Dutch personal data for demo call notes: names, 06 numbers, postcodes, BSN, IBAN, plates."""
from __future__ import annotations

import random
import string

FIRST_NAMES = (
    "Marieke", "Sanne", "Fatima", "Ans", "Joke", "Willemijn", "Esra", "Lotte", "Anouk", "Ingrid", "Petra",
    "Yvonne", "Nadia", "Gerda", "Sophie", "Peter", "Jan", "Kees", "Mohammed", "Bas", "Ruud", "Hans",
    "Mehmet", "Daan", "Thijs", "Sven", "Henk", "Erik", "Youssef", "Wim", "Joost", "Arjen", "Rik", "Noor",
)
SURNAMES = (
    "Jansen", "de Vries", "van den Berg", "Bakker", "Visser", "Smit", "Meijer", "de Boer", "Mulder",
    "de Groot", "Bos", "Vos", "Peters", "Hendriks", "van Leeuwen", "Dekker", "Brouwer", "de Wit",
    "Dijkstra", "de Graaf", "van der Meer", "Kok", "Jacobs", "de Haan", "Vermeulen", "van Dijk",
    "Schouten", "Willems", "Hoekstra", "Koster", "Prins", "Yilmaz", "El Amrani", "Kaya", "Bouzid",
    "Pinas", "van Rooijen", "Verhoef", "Lambrechts", "Steenbergen",
)
MAIL_DOMAINS = ("gmail.com", "hotmail.com", "ziggo.nl", "kpnmail.nl", "outlook.com", "live.nl", "planet.nl")
PLATE_LETTERS = "BDFGHJKLNPRSTVXZ"
BANK_CODES = ("ABNA", "RABO", "INGB", "SNSB", "ASNB", "TRIO", "KNAB", "BUNQ")
ZEIST_POSTCODES = tuple(range(3701, 3710)) + (3712, 3734, 3735)
POSTCODE_EXCLUDED = frozenset({"SA", "SD", "SS"})


def person_name(rng: random.Random) -> tuple[str, str]:
    """A first name and surname."""
    return rng.choice(FIRST_NAMES), rng.choice(SURNAMES)


def surname_title(surname: str) -> str:
    """The surname as written after a title: 'de Vries' -> 'De Vries'."""
    return surname[0].upper() + surname[1:]


def mobile_number(rng: random.Random) -> str:
    """A Dutch mobile number in one of the ways people write it."""
    digits = "".join(rng.choice(string.digits) for _ in range(8))
    layout = rng.randrange(5)
    if layout == 0:
        return f"06-{digits}"
    if layout == 1:
        return f"06 {digits[:4]} {digits[4:]}"
    if layout == 2:
        return f"06{digits}"
    if layout == 3:
        return f"+31 6 {digits[:4]} {digits[4:]}"
    return f"06 {digits[:2]} {digits[2:4]} {digits[4:6]} {digits[6:]}"


def landline_number(rng: random.Random) -> str:
    """A Zeist landline (area code 030)."""
    return f"030-{rng.randrange(6900000, 6999999)}"


def phone_number(rng: random.Random) -> str:
    """Mostly mobile, sometimes landline."""
    return landline_number(rng) if rng.random() < 0.2 else mobile_number(rng)


def postcode(rng: random.Random) -> str:
    """A Zeist-area postcode like '3701 AB' or '3705KL'."""
    while True:
        letters = rng.choice(string.ascii_uppercase) + rng.choice(string.ascii_uppercase)
        if letters not in POSTCODE_EXCLUDED:
            break
    separator = " " if rng.random() < 0.7 else ""
    return f"{rng.choice(ZEIST_POSTCODES)}{separator}{letters}"


def house_number(rng: random.Random) -> str:
    """A house number, sometimes with a letter or addition."""
    number = str(rng.randint(1, 180))
    roll = rng.random()
    if roll < 0.12:
        return number + rng.choice("abcd")
    if roll < 0.17:
        return f"{number}-{rng.randint(1, 3)}"
    return number


def bsn_is_valid(value: str) -> bool:
    """The 11-proof of a citizen service number (9 digits)."""
    if len(value) != 9 or not value.isdigit():
        return False
    digits = [int(ch) for ch in value]
    total = sum(weight * digit for weight, digit in zip(range(9, 1, -1), digits[:8])) - digits[8]
    return total % 11 == 0 and value != "000000000"


def bsn(rng: random.Random) -> str:
    """A nine-digit number that passes the 11-proof."""
    while True:
        head = [rng.randint(1, 6)] + [rng.randint(0, 9) for _ in range(7)]
        check = sum(weight * digit for weight, digit in zip(range(9, 1, -1), head)) % 11
        if check < 10:
            return "".join(map(str, head)) + str(check)


def _iban_number(text: str) -> int:
    """Letters as 10..35, digits as themselves, read as one number."""
    return int("".join(str(int(ch, 36)) for ch in text))


def iban_is_valid(value: str) -> bool:
    """The ISO 13616 mod-97 check (spaces ignored)."""
    compact = value.replace(" ", "").upper()
    if len(compact) < 15 or not compact.isalnum():
        return False
    return _iban_number(compact[4:] + compact[:4]) % 97 == 1


def iban(rng: random.Random) -> str:
    """A Dutch IBAN with correct check digits, compact or in groups of four."""
    bank = rng.choice(BANK_CODES)
    account = "".join(rng.choice(string.digits) for _ in range(10))
    check = 98 - _iban_number(bank + account + "NL00") % 97
    compact = f"NL{check:02d}{bank}{account}"
    if rng.random() < 0.5:
        return " ".join(compact[i:i + 4] for i in range(0, len(compact), 4))
    return compact


def licence_plate(rng: random.Random) -> str:
    """A Dutch licence plate in one of the current side codes (e.g. 12-ABC-3, GH-123-K)."""
    def letters(count: int) -> str:
        """Plate letters (no vowels)."""
        return "".join(rng.choice(PLATE_LETTERS) for _ in range(count))

    def digits(count: int) -> str:
        """Plate digits."""
        return "".join(rng.choice("0123456789") for _ in range(count))

    layout = rng.randrange(5)
    if layout == 0:
        return f"{digits(2)}-{letters(3)}-{digits(1)}"
    if layout == 1:
        return f"{letters(2)}-{digits(3)}-{letters(1)}"
    if layout == 2:
        return f"{digits(1)}-{letters(3)}-{digits(2)}"
    if layout == 3:
        return f"{letters(1)}-{digits(3)}-{letters(2)}"
    return f"{letters(3)}-{digits(2)}-{letters(1)}"


def email_address(rng: random.Random, first: str | None = None, surname: str | None = None) -> str:
    """A plausible private e-mail address."""
    if first is None or surname is None:
        first, surname = person_name(rng)
    last = surname.replace(" ", "").lower()
    local = rng.choice((f"{first.lower()}.{last}", f"{first[0].lower()}.{last}", f"{first.lower()}{last}",
                        f"{last}.{first.lower()}"))
    if rng.random() < 0.6:
        local += str(rng.choice((rng.randint(1, 99), rng.randint(1950, 2005))))
    return f"{local}@{rng.choice(MAIL_DOMAINS)}"
