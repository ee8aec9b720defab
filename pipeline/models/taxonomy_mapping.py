"""Where other taxonomies' categories land in our fixed topic codes (see TAXONOMY_MAPPING.md for the reasons)."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Mapping:
    """A foreign category's primary code, plus codes its own name also covers (for the lenient score)."""

    primary: str
    also: tuple[str, ...] = ()

    def accepts(self, code: str) -> bool:
        """True when `code` is the primary code or one the category's name also names."""
        return code == self.primary or code in self.also


# Gemeente Katwijk's melding categories (the `label` column of meldingen_2024_dev.csv).
KATWIJK: dict[str, Mapping] = {
    "Huisafval": Mapping("afval"),
    "Zwerfafval": Mapping("afval"),
    "Technische storingen en parkeermeters": Mapping("afval", ("parkeren",)),
    "Parkeren": Mapping("parkeren"),
    "Wegen, straten en verkeer": Mapping("verkeer", ("openbare_ruimte",)),
    "Openbaar groen": Mapping("openbare_ruimte"),
    "Straatverlichting": Mapping("openbare_ruimte"),
    "Straatmeubilair en verkeersborden": Mapping("openbare_ruimte", ("verkeer",)),
    "Riolering en water": Mapping("openbare_ruimte"),
    "Speelvoorzieningen": Mapping("openbare_ruimte"),
    "Overlast en handhaving": Mapping("overlast", ("parkeren", "vergunningen")),
    "Vuurwerkoverlast": Mapping("overlast"),
    "Ongedierte": Mapping("overlast"),
    "Meeuwen": Mapping("overlast"),
    "Overig": Mapping("overig"),
}

# Amsterdam Signalen's nine main categories.
SIGNALEN_MAIN: dict[str, Mapping] = {
    "Afval": Mapping("afval"),
    "Wegen, verkeer, straatmeubilair": Mapping("verkeer", ("openbare_ruimte",)),
    "Overlast in de openbare ruimte": Mapping("overlast", ("parkeren",)),
    "Openbaar groen en water": Mapping("openbare_ruimte"),
    "Overlast van dieren": Mapping("overlast"),
    "Overlast van en door personen of groepen": Mapping("overlast"),
    "Overlast Bedrijven en Horeca": Mapping("overlast"),
    "Overlast op het water": Mapping("overlast"),
    "Overig": Mapping("overig"),
}


def map_labels(labels: list[str], table: dict[str, Mapping]) -> tuple[list[Mapping | None], dict[str, int]]:
    """The mapping of each label (None when unknown) and a count of the unknown labels."""
    unknown: dict[str, int] = {}
    out: list[Mapping | None] = []
    for label in labels:
        mapping = table.get(label)
        if mapping is None:
            unknown[label] = unknown.get(label, 0) + 1
        out.append(mapping)
    return out, unknown
