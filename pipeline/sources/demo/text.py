"""Shared phrase banks of the demo generator: places, time phrases, emoji, hashtags, typos, departments.

All text here was written for this project (no external corpus). Template banks per channel live in
demo_text_social.py, demo_text_calls.py and demo_text_search.py.
"""
from __future__ import annotations

TOPICS: tuple[str, ...] = (
    "afval", "verkeer", "parkeren", "openbare_ruimte", "overlast", "burgerzaken", "belastingen",
    "vergunningen", "zorg", "werk_inkomen", "dienstverlening", "overig",
)
SENTIMENT_MARKS = {"-": "negative", "?": "neutral", "+": "positive"}

ACCOUNT = "@gemeentezeist"
SPIKE_PLACE = "Centrum"
SPIKE_STREET = "Slotlaan"

# Streets per neighbourhood (plausible for Zeist; used only to make demo text read naturally).
STREETS: dict[str, tuple[str, ...]] = {
    "Centrum": ("Slotlaan", "Dorpsstraat", "1e Hogeweg", "2e Hogeweg", "Steynlaan", "Lageweg"),
    "Kerckebosch": ("Arnhemse Bovenweg", "Hortensialaan", "Prins Hendriklaan"),
    "Vollenhove": ("Laan van Vollenhove", "Kwekerijweg", "Jagerlaan"),
    "Couwenhoven": ("Couwenhovenlaan", "Kozakkenweg", "Boslaan"),
    "Crosestein": ("Crosesteinlaan", "Bergweg", "Noordweg"),
    "Brugakker": ("Lindenlaan", "Weteringlaan", "Brugakkerweg"),
    "Staatsliedenkwartier": ("Thorbeckelaan", "Troelstralaan", "Van Reenenweg"),
    "Lyceumkwartier": ("Lyceumlaan", "Montaubanstraat", "Van Lennepweg"),
    "Patijnpark": ("Oranje Nassaulaan", "Patijnweg", "Graaf Adolflaan"),
    "Den Dolder": ("Dolderseweg", "Soestdijkerweg", "Professor Bronkhorstlaan"),
    "Austerlitz": ("Woudenbergseweg", "Zeisterweg", "Pyramidelaan"),
    "Bosch en Duin": ("Hobbemalaan", "Van Goyenlaan", "Ruysdaellaan"),
    "Huis ter Heide": ("Amersfoortseweg", "Tolakkerweg", "Ericalaan"),
    "Nijenheim": ("Nijenheimlaan", "Hertog Govertlaan", "Kroostweg"),
    "Dijnselburg": ("Dijnselburgerlaan", "Utrechtseweg", "Kamp van Zeist"),
}
PLACE_WEIGHTS: dict[str, float] = {"Centrum": 2.5, "Den Dolder": 1.3, "Vollenhove": 1.3, "Kerckebosch": 1.2}
DETOUR_STREETS = ("Bergweg", "Dorpsstraat", "1e Hogeweg", "Driebergseweg", "Steynlaan", "Lageweg", "Jagerlaan")

# Place phrases; {in_wijk} becomes "in Vollenhove" or "in het centrum".
PLACE_PHRASES = ("hier {in_wijk}", "{in_wijk}", "bij ons {in_wijk}", "op de {straat}", "aan de {straat}",
                 "in de {straat}", "bij de {straat}", "hier op de {straat}", "{in_wijk} (de {straat})")
VAGUE_PLACES = ("hier in de straat", "bij ons in de wijk", "hier", "in onze buurt", "om de hoek")

SLOT_BANK: dict[str, tuple[str, ...]] = {
    "dagen": ("al 3 dagen", "al een week", "sinds maandag", "al twee weken", "al dagen", "sinds vorige week",
              "al 4 dagen", "alweer een week", "al sinds het weekend", "al ruim een maand"),
    "periode": ("drie weken", "een maand", "10 dagen", "zes weken", "twee maanden", "bijna een jaar",
                "vijf weken", "een half jaar"),
    "wk": ("maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag", "gisteren", "vanochtend",
           "afgelopen dinsdag", "vorige week vrijdag"),
    "tijd": ("20 minuten", "een half uur", "drie kwartier", "40 min", "bijna een uur", "25 minuten",
             "een kwartier", "ruim een uur"),
    "neg": ("", "", "", "😡", "🤬", "🙄", "😤", "!!", "!!!", "😠", "🤦‍♀️", "🤦", "pfff", "#schandalig",
            ". Echt triest", "👎", "😒", "#zeist", ". Doe er wat aan!", ". Bah."),
    "pos": ("", "👍", "🙏", "😊", "💪", "👏", ". Top!", "❤️", ". Dank!", ". Goed werk!", "#zeist", "😀", ". Chapeau"),
    "q": ("?", "?", "??", "? 🤔", "? Alvast bedankt", "? Iemand?", "? Kan niks vinden op de site",
          "? Thanks!", "?", " iemand enig idee?", "? Groetjes"),
    "omweg": DETOUR_STREETS,
    "num": ("2", "3", "4", "5", "6", "8", "10", "12"),
}

# Slot values for English posts (the place slots have English phrasings in demo_render.py).
EN_SLOT_BANK: dict[str, tuple[str, ...]] = {
    "neg": ("", "", "😡", "🙄", "!!", ". Ridiculous.", "#zeist", ". Not acceptable.", "😤"),
    "pos": ("", "👍", "😊", ". Great job!", ". Thanks!", "#zeist"),
    "q": ("?", "??", "? Thanks!", "? Anyone?", "? Couldn't find it on the website"),
    "dagen": ("for days", "for a week", "since Monday"),
    "tijd": ("20 minutes", "half an hour", "almost an hour"),
}
EN_PLACE_PHRASES = ("in {wijk}", "here in {wijk}", "on {straat}", "near {straat}")
EN_VAGUE_PLACES = ("on our street", "around here", "in our neighbourhood")

FOLLOW_UPS: dict[str, tuple[str, ...]] = {
    "negative": ("Dit is toch niet normaal.", "Wie herkent dit?", "Ik heb het al twee keer gemeld.",
                 "Doe er iets aan!", "En niemand die reageert.", "Wat doen jullie met ons belastinggeld?",
                 "Ben er echt klaar mee.", "Schaam je gemeente.", "Zo gaat het hier al maanden.",
                 "Bel me gerust: {tel}", "Mijn buren zijn het er ook helemaal mee eens."),
    "neutral": ("Kan iemand mij helpen?", "Ik kon het nergens vinden.", "Bedankt alvast!",
                "Graag een DM.", "Wie weet het?", "Mijn nummer is {tel}, bel gerust.",
                "Mail mag ook: {email}", "Op {link} staat het niet."),
    "positive": ("Zo kan het dus ook!", "Goed bezig gemeente.", "Fijn!", "Complimenten aan het team.",
                 "Dank jullie wel.", "Blij mee."),
}

TOPIC_HASHTAGS: dict[str, tuple[str, ...]] = {
    "afval": ("#afval", "#grofvuil", "#zwerfvuil", "#vuilnis"),
    "verkeer": ("#wegwerkzaamheden", "#omleiding", "#verkeer", "#file"),
    "parkeren": ("#parkeren", "#parkeervergunning"),
    "openbare_ruimte": ("#openbareruimte", "#groen", "#straatverlichting"),
    "overlast": ("#overlast", "#vuurwerk", "#geluidsoverlast"),
    "burgerzaken": ("#paspoort", "#rijbewijs", "#burgerzaken"),
    "belastingen": ("#WOZ", "#belasting"),
    "vergunningen": ("#vergunning", "#bouwen"),
    "zorg": ("#wmo", "#zorg", "#mantelzorg"),
    "werk_inkomen": ("#bijstand", "#energietoeslag"),
    "dienstverlening": ("#klantenservice", "#bereikbaarheid"),
    "overig": ("#zeist", "#evenement"),
}
GENERAL_HASHTAGS = ("#zeist", "#Zeist", "#gemeentezeist", "#zeistnieuws")

SITE_PAGES: dict[str, str] = {
    "afval": "afval-en-recycling", "verkeer": "wegwerkzaamheden", "parkeren": "parkeren",
    "openbare_ruimte": "melding-openbare-ruimte", "overlast": "overlast-melden", "burgerzaken": "paspoort-en-id-kaart",
    "belastingen": "belastingen", "vergunningen": "omgevingsvergunning", "zorg": "wmo", "werk_inkomen": "werk-en-inkomen",
    "dienstverlening": "contact", "overig": "nieuws",
}

DEPARTMENTS: dict[str, tuple[str, ...]] = {
    "afval": ("RMN", "Afval en Reiniging"),
    "verkeer": ("Verkeer", "Beheer Openbare Ruimte"),
    "parkeren": ("Parkeerbeheer", "Handhaving"),
    "openbare_ruimte": ("Beheer Openbare Ruimte", "Groenbeheer", "Riolering"),
    "overlast": ("Handhaving", "Wijkagent", "Toezicht"),
    "burgerzaken": ("Burgerzaken", "Publiekszaken"),
    "belastingen": ("Belastingen",),
    "vergunningen": ("Vergunningen", "Toezicht en Handhaving"),
    "zorg": ("Wmo-loket", "Sociaal Team", "CJG"),
    "werk_inkomen": ("Werk en Inkomen", "Schuldhulpverlening"),
    "dienstverlening": ("Teamleider KCC", "Klachtencoordinator"),
    "overig": ("Publiekszaken", "Begraafplaatsen", "Verkiezingen"),
}
SPIKE_DEPARTMENTS = ("Projectteam Slotlaan", "Verkeer")
CALL_TEAMS = ("KCC front office", "KCC front office", "KCC front office", "KCC tweede lijn", "Publiekszaken")

# (correct word, typo) pairs; applied now and then to resident text, never to staff notes.
TYPOS: tuple[tuple[str, str], ...] = (
    ("gemeente", "gemeene"), ("gemeente", "gemeete"), ("vuilniszak", "vuilnis zak"),
    ("vuilniszakken", "vuilnis zakken"), ("parkeervergunning", "parkeervergunnig"),
    ("parkeervergunning", "parkeer vergunning"), ("eigenlijk", "eigelijk"), ("gewoon", "gwn"),
    ("even", "ff"), ("helemaal", "helemaaal"), ("alweer", "al weer"), ("container", "kontainer"),
    ("wegwerkzaamheden", "wegwerkzaamheeden"), ("afvalkalender", "afval kalender"), ("omleiding", "omleidng"),
    ("nog steeds", "nogsteeds"), ("echt", "egt"), ("wordt", "word"), ("gebeurt", "gebeurd"),
    ("natuurlijk", "natuurlik"), ("niet", "nie"), ("weken", "weeken"), ("lantaarnpaal", "lantarenpaal"),
    ("paspoort", "pasport"), ("afspraak", "afsrpaak"), ("bedankt", "bedankt!!"), ("straatverlichting", "straat verlichting"),
    ("belachelijk", "belachlijk"), ("iemand", "iemant"), ("verschrikkelijk", "verschikkelijk"),
    ("terugbellen", "terug bellen"), ("misschien", "miss"), ("jullie", "julie"), ("onbereikbaar", "onbereikbaar!!"),
)
