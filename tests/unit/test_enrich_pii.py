"""PII redaction: every kind with positive and negative cases; only kinds are reported, never values."""
from __future__ import annotations

import pytest

from pipeline.enrich.pii.redact import PiiRedactor, redact


def _bsn_checksum_ok(digits: str) -> bool:
    """Independent 11-proof used to build test numbers."""
    digits = digits.zfill(9)
    return (sum(int(d) * w for d, w in zip(digits[:8], range(9, 1, -1))) - int(digits[8])) % 11 == 0


@pytest.mark.parametrize("text", [
    "bel me op 06-12345678 aub",
    "bel me op 06 1234 5678 aub",
    "bel me op 0612345678 aub",
    "bel me op +31 6 12345678 aub",
    "bel me op +31612345678 aub",
    "bel me op 0031 6 12345678 aub",
    "bel me op +31 (0)6 12345678 aub",
    "bel me op 030-1234567 aub",
    "bel me op 0301234567 aub",
    "bel me op (030) 123 45 67 aub",
    "bel me op 0343-123456 aub",
])
def test_dutch_phone_numbers_are_redacted(text: str) -> None:
    redacted, kinds = redact(text)
    assert kinds == ["phone"]
    assert redacted == "bel me op [telefoon] aub"


@pytest.mark.parametrize("text", [
    "de werkzaamheden duren tot 06-12-2024",
    "op 06-12-2024 10:30 gebeld",
    "bel 14 030 voor vragen",
    "het kost 1234 euro",
    "bel 0800-1234",
])
def test_numbers_that_are_not_phone_numbers_stay(text: str) -> None:
    assert redact(text) == (text, [])


def test_email_addresses_are_redacted_but_mentions_are_not() -> None:
    redacted, kinds = redact("Mail jan.de-vries+gemeente@example.co.uk of @gemeentezeist")
    assert kinds == ["email"]
    assert redacted == "Mail [e-mail] of @gemeentezeist"


def test_valid_bsn_is_redacted() -> None:
    assert _bsn_checksum_ok("123456782")
    assert redact("bsn 123456782 bekend") == ("bsn [bsn] bekend", ["bsn"])


def test_eight_digit_bsn_with_implied_leading_zero_is_redacted() -> None:
    assert _bsn_checksum_ok("012345672")
    assert redact("burgerservicenummer 12345672") == ("burgerservicenummer [bsn]", ["bsn"])


def test_dotted_bsn_is_redacted() -> None:
    assert redact("bsn 1234.56.782") == ("bsn [bsn]", ["bsn"])


def test_nine_digits_failing_the_eleven_proof_are_left_alone() -> None:
    assert not _bsn_checksum_ok("123456789")
    assert redact("zaaknummer 123456789") == ("zaaknummer 123456789", [])


def test_eight_digit_date_is_not_a_bsn_without_bsn_context() -> None:
    assert _bsn_checksum_ok("20240612")
    assert redact("datum 20240612 genoteerd") == ("datum 20240612 genoteerd", [])
    assert redact("bsn: 20240612") == ("bsn: [bsn]", ["bsn"])


@pytest.mark.parametrize("iban", ["NL91 ABNA 0417 1643 00", "NL91ABNA0417164300", "nl91abna0417164300"])
def test_valid_iban_is_redacted(iban: str) -> None:
    assert redact(f"rekening {iban} graag") == ("rekening [iban] graag", ["iban"])


def test_iban_failing_mod97_is_left_alone() -> None:
    text = "rekening NL91ABNA0417164301 graag"
    redacted, kinds = redact(text)
    assert "iban" not in kinds
    assert "NL91ABNA0417164301" in redacted


@pytest.mark.parametrize("address", ["3701 AB 12", "3701AB 12a", "3701ab, 12", "3701 AB 12-3", "3701 ab 12"])
def test_postcode_with_house_number_is_redacted(address: str) -> None:
    assert redact(f"woont op {address} sinds kort") == ("woont op [postcode] sinds kort", ["postcode_house_number"])


@pytest.mark.parametrize("text", [
    "in 2023 is 15 keer gebeld",
    "om 2024 om 12 uur",
])
def test_postcode_alone_or_number_words_are_not_addresses(text: str) -> None:
    assert redact(text)[1] == []


@pytest.mark.parametrize("plate", ["12-ABC-3", "AB-123-C", "1-ABC-23", "XX-99-99", "99-XX-99", "ab-123-c", "12ABC3", "G123BB"])
def test_licence_plates_are_redacted(plate: str) -> None:
    assert redact(f"auto met kenteken {plate} staat fout") == (
        "auto met kenteken [kenteken] staat fout", ["licence_plate"])


@pytest.mark.parametrize("text", ["een up-to-date lijst", "ABCDEF", "ab12cd", "e-mail", "covid-19"])
def test_non_plates_are_left_alone(text: str) -> None:
    assert redact(text)[1] == []


@pytest.mark.parametrize("note, expected", [
    ("Mw. De Vries belt over de container", "Mw. [naam] belt over de container"),
    ("dhr. van den Berg wil terugbellen", "dhr. [naam] wil terugbellen"),
    ("meneer J.P. de Boer meldt overlast", "meneer [naam] meldt overlast"),
    ("mevrouw Jansen-de Groot vraagt", "mevrouw [naam] vraagt"),
    ("Mevr Bakker", "Mevr [naam]"),
])
def test_names_after_titles_are_redacted(note: str, expected: str) -> None:
    assert redact(note) == (expected, ["name"])


@pytest.mark.parametrize("note", ["mw belt terug", "Mw Belt terug over de kliko", "Mevrouw vraagt naar de kliko",
                                  "meneer wil weten", "Dhr. Heeft gebeld", "Belt meneer. Er is een gat in de weg",
                                  "Mw Vorige week gebeld"])
def test_titles_followed_by_a_verb_or_lower_case_word_are_left_alone(note: str) -> None:
    assert redact(note) == (note, [])


def test_urls_keep_their_address_but_lose_the_query_string() -> None:
    text = "zie https://www.zeist.nl/afval?postcode=3701AB&nr=12&tel=0612345678 of www.zeist.nl/06-12345678"
    assert redact(text) == ("zie https://www.zeist.nl/afval of www.zeist.nl/06-12345678", ["url_query"])


def test_several_kinds_are_sorted_unique_and_values_are_gone() -> None:
    text = ("Mw. Jansen (06-12345678, 06 8765 4321) woont 3701 AB 12, mail j@x.nl, "
            "NL91ABNA0417164300, auto 12-ABC-3, bsn 123456782")
    redacted, kinds = PiiRedactor().redact(text)
    assert kinds == ["bsn", "email", "iban", "licence_plate", "name", "phone", "postcode_house_number"]
    for value in ("Jansen", "12345678", "8765", "3701", "j@x.nl", "0417", "ABC", "123456782"):
        assert value not in redacted
    assert redacted.count("[telefoon]") == 2


def test_text_without_personal_data_is_unchanged() -> None:
    text = "De lantaarnpaal op de Slotlaan brandt al 3 dagen niet 😡 #zeist"
    assert redact(text) == (text, [])


@pytest.mark.parametrize("text, expected", [
    ("Slotlaan 12a is weer afgesloten", "Slotlaan [huisnummer] is weer afgesloten"),
    ("woon op de slotlaan 3 sinds kort", "woon op de slotlaan [huisnummer] sinds kort"),
    ("Laan van Vollenhove 1200 lawaai", "Laan van Vollenhove [huisnummer] lawaai"),
    ("Hoofdstraat nr. 45 B lekt", "Hoofdstraat nr. [huisnummer] lekt"),
    ("lantaarnpaal Kerkweg 7-9 kapot", "lantaarnpaal Kerkweg [huisnummer] kapot"),
])
def test_street_house_numbers_lose_the_number_but_keep_the_street(text: str, expected: str) -> None:
    assert redact(text) == (expected, ["street_house_number"])


@pytest.mark.parametrize("text", [
    "Slotlaan 3 weken dicht", "Slotlaan 12:30 ongeluk", "op de snelweg 12 km file", "Slotlaan 2 keer gebeld",
    "de weg 3 dagen dicht", "Slotlaan is 40% sneller", "sportpark 2 velden",
])
def test_numbers_after_streets_that_are_not_house_numbers_stay(text: str) -> None:
    assert redact(text) == (text, [])


@pytest.mark.parametrize("text, expected", [
    ("Petra de Vries belde over de kliko", "[naam] belde over de kliko"),
    ("buurman Kees van den Berg-Jansen klaagt", "buurman [naam] klaagt"),
    ("Henk Westdijk wil terugbellen", "[naam] wil terugbellen"),
    ("volgens Mohamed El Amrani is het gevaarlijk", "volgens [naam] is het gevaarlijk"),
])
def test_first_name_with_surname_is_a_name(text: str, expected: str) -> None:
    assert redact(text) == (expected, ["name"])


@pytest.mark.parametrize("text", ["Anne Frankstraat is afgesloten", "Jan Steen 4 lekt", "Willem Alexanderlaan dicht",
                                  "Roos heeft de bakker gebeld", "De Bilt en Den Dolder", "Huis ter Heide"])
def test_streets_places_and_ordinary_words_are_not_names(text: str) -> None:
    assert "name" not in redact(text)[1]


@pytest.mark.parametrize("text, expected", [
    ("Kees belde gisteren", "[naam] belde gisteren"),
    ("jan de vries belt", "[naam] belt"),
    ("henk Bakker heeft schulden", "[naam] heeft schulden"),
    ("Jan Vorige keer", "[naam] Vorige keer"),
    ("@Petra Jansen", "@Petra [naam]"),
    ("Meneer Pieter de Vries belt", "Meneer [naam] belt"),
    ("dhr. T. Brouwer belt namens zoon Daan", "dhr. [naam] belt namens zoon [naam]"),
    ("mw de Groot en mevrouw van der Heijden", "mw [naam] en mevrouw [naam]"),
    ("Mw Belt terug", "Mw Belt terug"),
])
def test_first_names_alone_lower_case_and_after_titles_are_names(text: str, expected: str) -> None:
    assert redact(text)[0] == expected


@pytest.mark.parametrize("text, gone", [
    ("Adres Slotlaan 12, 3707 WQ", "3707"), ("Postcode 3701AB", "3701AB"), ("postcode 3701ab graag", "3701ab"),
    ("in postcodegebied 3701 AB wonen veel mensen", "3701 AB"),
])
def test_postcodes_alone_are_removed(text: str, gone: str) -> None:
    redacted, kinds = redact(text)
    assert gone not in redacted and "[postcode]" in redacted


@pytest.mark.parametrize("text, number", [
    ("Molenweg 59 bis lekt", "59"), ("Beukenlaan 31-4 boven", "31-4"), ("Marktplein 3a", "3a"),
    ("Het Rond 4 is vies", "4"), ("1e Dorpsstraat 12", "12"),
])
def test_street_with_house_number_loses_the_number_and_keeps_the_street(text: str, number: str) -> None:
    redacted, kinds = redact(text)
    assert "street_house_number" in kinds and f" {number}" not in redacted
    assert redacted.split(" ")[0] == text.split(" ")[0]


@pytest.mark.parametrize("text", ["geb. 12-03-1956", "geboren 3 maart 1948", "geboortedatum: 1961-07-30",
                                  "meneer (04/11/1939) belt", "geboren in 1956"])
def test_birth_dates_are_removed(text: str) -> None:
    redacted, kinds = redact(text)
    assert kinds == ["birth_date"] and "[geboortedatum]" in redacted


@pytest.mark.parametrize("text", ["melding van 12-03-2024 over grofvuil", "in 2023 is 15 keer gebeld",
                                  "op 3 maart 2025 is de weg dicht"])
def test_recent_event_dates_stay(text: str) -> None:
    assert redact(text) == (text, [])
