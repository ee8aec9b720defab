"""Demo site-search queries per topic, with spelling variants; the first character says how the site answers.

'=' the site finds pages, '0' the site finds nothing (a gap in the content), '~' a misspelling the search
engine only sometimes matches. Written for this project.
"""
from __future__ import annotations

SEARCHES: dict[str, tuple[str, ...]] = {
    "afval": (
        "= afvalkalender", "~ afval kalender", "~ afvalkalendar", "= grofvuil", "~ grof vuil", "= grofvuil ophalen",
        "~ grofvuil ophaalen", "= milieustraat openingstijden", "= milieustraat", "= container aanvragen",
        "0 oud papier container kapot melden", "= afvalpas", "~ afvalpas kwijt", "0 gft bak te klein",
        "= vuilniszak", "~ vuilnis zak", "0 luiers apart inzamelen", "= zwerfvuil melden",
        "0 kerstboom ophalen januari", "= glasbak", "= afval", "0 asbest wegbrengen particulier",
    ),
    "verkeer": (
        "= wegwerkzaamheden", "~ weg werkzaamheden", "~ wegwerkzaamheeden", "= omleiding", "= afsluitingen",
        "= verkeer", "0 zebrapad aanvragen", "= verkeersbesluiten", "0 snelheidsmeting aanvragen",
        "= werkzaamheden", "0 flitspaal utrechtseweg", "= fietspad",
    ),
    "parkeren": (
        "= parkeervergunning", "~ parkeer vergunning", "~ parkeervergunnig", "= parkeervergunning aanvragen",
        "= bezoekersvergunning", "~ bezoekers vergunning", "= gehandicaptenparkeerkaart",
        "~ invalidenparkeerkaart", "= parkeren centrum", "= parkeren", "0 parkeerboete bezwaar",
        "= naheffingsaanslag", "= laadpaal aanvragen", "0 camper parkeren", "~ parkeerverguning",
    ),
    "openbare_ruimte": (
        "= melding openbare ruimte", "= lantaarnpaal kapot", "~ lantarenpaal", "= boom kappen",
        "0 speeltuin renovatie", "= riolering", "0 stoep opgebroken melden", "= groenonderhoud",
        "0 moestuin huren", "= straatverlichting", "~ straat verlichting", "= melding doen",
    ),
    "overlast": (
        "= geluidsoverlast", "~ geluidoverlast", "= vuurwerk", "0 vuurwerkvrije zone", "= ratten",
        "0 buren overlast hond", "= overlast melden", "0 eikenprocessierups", "= overlast",
        "0 hangjongeren melden anoniem",
    ),
    "burgerzaken": (
        "= paspoort", "~ pasport", "= paspoort aanvragen", "~ paspoort aanvraag", "= id kaart", "~ idkaart",
        "= identiteitskaart", "= rijbewijs verlengen", "~ rijbewys", "= rijbewijs", "= verhuizing doorgeven",
        "= verhuizen", "= uittreksel brp", "~ uitreksel", "~ uittreksel gba", "= afspraak maken",
        "0 paspoort spoed zaterdag", "= trouwen", "0 trouwen in het bos", "= geboorteaangifte",
        "0 naamswijziging kind", "~ afspraak maken paspoort", "= digid",
    ),
    "belastingen": (
        "= woz", "= woz waarde", "~ woz-waarde bezwaar", "= aanslag gemeentelijke belastingen", "= kwijtschelding",
        "0 hondenbelasting afschaffen", "= hondenbelasting", "~ honden belasting", "0 precariobelasting terras",
        "= betalingsregeling", "= belastingen", "~ kwijtscheldng",
    ),
    "vergunningen": (
        "= omgevingsvergunning", "~ omgevings vergunning", "= dakkapel", "0 dakkapel zonder vergunning",
        "= kapvergunning", "= schutting", "0 tiny house bouwen", "= bezwaar maken", "0 airbnb vergunning zeist",
        "= evenementenvergunning", "~ evenementen vergunning", "= vergunning",
    ),
    "zorg": (
        "= wmo", "= wmo aanvragen", "= huishoudelijke hulp", "= cjg", "0 mantelzorgcompliment", "= scootmobiel",
        "0 dementie cafe", "= jeugdhulp", "~ jeugd hulp", "= mantelzorg",
    ),
    "werk_inkomen": (
        "= bijstand", "~ bijstands uitkering", "= energietoeslag", "0 energietoeslag 2026", "= schuldhulp",
        "0 vrijwilligerswerk vergoeding", "= meedoenregeling", "= uitkering",
    ),
    "dienstverlening": (
        "= contact", "= openingstijden", "~ openingstijden gemeentehuis", "0 whatsapp gemeente",
        "= klacht indienen", "0 wachttijd telefoon", "= telefoonnummer",
    ),
    "overig": (
        "= verkiezingen", "= stembureau", "0 stempas kwijt wat nu", "= begraafplaats", "0 vrijmarkt koningsdag",
        "= evenementen", "0 subsidie zonnepanelen 2026", "0 kerstmarkt zeist", "= vacatures",
    ),
}

SPIKE_SEARCHES: tuple[str, ...] = (
    "= slotlaan omleiding", "= wegwerkzaamheden slotlaan", "0 slotlaan afsluiting hoe lang", "= omleiding centrum",
    "0 slotlaan bereikbaarheid winkels", "~ slotlaan afgeslote", "= werkzaamheden slotlaan",
)
