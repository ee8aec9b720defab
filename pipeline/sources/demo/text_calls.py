"""Demo templates for contact-centre call notes in staff shorthand; the first character is the sentiment.

'-' a complaint, '?' a question, '+' a compliment. {klant} is the caller ("mw", "dhr. Jansen"), {tb} a
callback request, {door} the department the note is forwarded to; PII slots: {tel}, {adres}, {pc},
{bsn}, {iban}, {kenteken}, {email}. Written for this project.
"""
from __future__ import annotations

CALLS: dict[str, tuple[str, ...]] = {
    "afval": (
        "- {klant} belt, container niet geleegd op {adres}, {tb}",
        "- {klant} meldt dat grofvuil niet is opgehaald, afspraak was {wk}. Adres {adres}. Doorgezet naar {door}",
        "- {klant} belt ivm kapotte groene container, nieuwe aangevraagd. Adres {adres}, {pc}",
        "- Melding dumping bij ondergrondse container {straat}, {klant} erg boos. {tb}",
        "- {klant} klaagt: container {in_wijk} al 2 weken vol, wil dat er iets gebeurt. {tb} op {tel}",
        "- {klant} belt, vuilniswagen heeft bak overgeslagen, {adres}. Doorgezet naar {door}",
        "? {klant} vraagt naar afvalkalender, uitgelegd waar te vinden op de site",
        "? {klant} afvalpas kwijt, nieuwe pas besteld. Tel {tel}",
        "? Vraag over openingstijden milieustraat, beantwoord. {klant}",
        "? {klant} wil grofvuil laten ophalen, afspraak ingepland voor {wk}. Adres {adres} {pc}",
    ),
    "verkeer": (
        "- {klant} belt over wegwerkzaamheden {straat}, kan oprit niet af. {tb}, tel {tel}",
        "- {klant} meldt gat in de weg {straat} t.h.v. nr {huisnr}, doorgezet naar {door}",
        "- Klacht te hard rijden {straat}, {klant} wil drempels. Doorgezet naar {door}",
        "- {klant} boos over omleiding door woonwijk {in_wijk}, vrachtverkeer rijdt langs school. {tb}",
        "? {klant} vraagt hoe lang afsluiting {straat} duurt, verwezen naar website",
        "? {klant} vraagt of bus nog rijdt via {straat} tijdens werkzaamheden, doorgezet naar {door}",
    ),
    "parkeren": (
        "- {klant} belt over parkeervergunning, aangevraagd {periode} geleden, nog niets ontvangen. Kenteken {kenteken}. {tb}",
        "- {klant} heeft naheffing parkeren ontvangen terwijl vergunning geldig is, kenteken {kenteken}. Doorgezet naar {door}",
        "- {klant} meldt auto op invalidenplek {straat}, kenteken {kenteken}, doorgezet naar {door}",
        "- {klant} klaagt over parkeerdruk {in_wijk}, bezoekers centrum staan in de wijk. {tb}",
        "? {klant} vraagt naar bezoekersvergunning, uitgelegd hoe online aan te vragen",
        "? Wijziging kenteken op vergunning, oud {kenteken} nieuw {kenteken2}, {klant}. Verwerkt",
        "? {klant} vraagt gehandicaptenparkeerplaats aan voor {adres}, formulier gemaild naar {email}",
    ),
    "openbare_ruimte": (
        "- {klant} meldt lantaarnpaal defect {straat} t.h.v. {huisnr}, melding aangemaakt, doorgezet naar {door}",
        "- {klant} belt over losliggende tegels voor {adres}, buurvrouw gevallen. {tb}",
        "- {klant} klaagt over overhangende takken {straat}, doorgezet naar {door}",
        "- Riool verstopt bij {adres}, {klant} wil dat er snel iemand komt. Tel {tel}, {tb}",
        "- {klant} meldt kapotte schommel speeltuin {in_wijk}, kinderen in gevaar. Doorgezet naar {door}",
        "? {klant} vraagt of boom voor woning {adres} gekapt wordt, weet ik niet, {tb}",
        "? {klant} vraagt wanneer gras gemaaid wordt {in_wijk}, doorgezet naar {door}",
    ),
    "overlast": (
        "- {klant} belt over geluidsoverlast buren {adres}, al weken. Doorgezet naar {door}",
        "- {klant} meldt ratten in tuin en bij containers {straat}. Tel {tel}",
        "- Overlast jongeren bij speeltuin {straat}, {klant} wil anoniem blijven. Doorgezet naar {door}",
        "- {klant} klaagt over hondenpoep en loslopende honden {in_wijk}, doorgezet naar {door}",
        "- {klant} meldt wespennest in boom op gemeentegrond bij {adres}. {tb}",
        "- {klant} belt om 9u over bouwlawaai vanaf 6 uur {straat}. {tb} op {tel}",
        "? {klant} vraagt waar vuurwerkoverlast te melden, verwezen naar politie/handhaving",
    ),
    "burgerzaken": (
        "- {klant} wil afspraak paspoort, eerste plek pas over {periode}. Vertrekt binnenkort op reis, {tb}",
        "- {klant} belt over verhuizing, aangifte gedaan maar adres nog niet gewijzigd. BSN {bsn}, nieuw adres {adres}, {pc}",
        "? {klant} vraagt uittreksel BRP voor nieuwe werkgever, uitgelegd via DigiD. BSN {bsn}",
        "? {klant} rijbewijs verlopen, afspraak gemaakt voor {wk}. Tel {tel}",
        "? {klant} wil trouwen op het Slot, vraagt naar data. Mail {email}",
        "? {klant} ID-kaart kwijt, vraagt wat te doen. Uitgelegd: vermissing melden + nieuwe aanvraag",
        "? {klant} vraagt of paspoort kind ook zonder afspraak kan, nee. Afspraak gemaakt, tel {tel}",
        "+ {klant} belt om balie Burgerzaken te bedanken, paspoort snel geregeld",
    ),
    "belastingen": (
        "- {klant} belt over WOZ aanslag, vindt waarde te hoog. Uitgelegd hoe bezwaar te maken. Doorgezet naar {door}",
        "- {klant} heeft aanslag dubbel betaald, wil geld terug op {iban}. {tb}",
        "- {klant} boos over verhoging afvalstoffenheffing, wil uitleg. {tb} op {tel}",
        "? {klant} vraagt kwijtschelding afvalstoffenheffing, BSN {bsn}, formulier gemaild naar {email}",
        "? {klant} wil betalingsregeling gemeentelijke belastingen, rekening {iban}. Doorgezet naar {door}",
        "? {klant} heeft geen aanslag ontvangen, adres {adres} {pc}",
    ),
    "vergunningen": (
        "- {klant} vraagt naar status omgevingsvergunning dakkapel, aanvraag {periode} geleden. {tb}",
        "- {klant} meldt bouw zonder vergunning bij buren {adres}. Doorgezet naar {door}",
        "- {klant} boos over bouwplannen {in_wijk}, wil bezwaar maken. Uitgelegd procedure, {tb}",
        "? {klant} wil bezwaar maken tegen kapvergunning {straat}, uitgelegd procedure",
        "? {klant} vraagt of vergunning nodig is voor schutting, verwezen naar omgevingsloket",
        "? {klant} vraagt naar vergunning bouwcontainer op straat voor {adres}. Mail {email}",
    ),
    "zorg": (
        "- {klant} belt namens moeder, Wmo-aanvraag traplift loopt {periode}, nog niets gehoord. BSN moeder {bsn}. {tb}",
        "- {klant} klaagt over Wmo-vervoer, taxi kwam niet opdagen. Doorgezet naar {door}",
        "- {klant} huishoudelijke hulp verminderd, is het er niet mee eens. {tb} op {tel}",
        "- Mantelzorger belt, overbelast, vraagt om ondersteuning. {klant}, tel {tel}. Doorgezet naar {door}",
        "? {klant} zoekt hulp bij opvoeding, doorverwezen naar CJG",
        "? {klant} vraagt naar scootmobiel via Wmo, BSN {bsn}, doorgezet naar {door}",
        "+ {klant} wil sociaal team bedanken voor de hulp bij haar vader",
    ),
    "werk_inkomen": (
        "- {klant} uitkering nog niet ontvangen, rek.nr {iban}, BSN {bsn}. Doorgezet naar {door}",
        "- {klant} energietoeslag afgewezen, snapt niet waarom. {tb} op {tel}",
        "? {klant} vraagt naar energietoeslag, uitgelegd voorwaarden. {tb}",
        "? {klant} heeft schulden, wil hulp. Doorgezet naar {door}, tel {tel}",
        "? {klant} wil wijziging inkomen doorgeven, BSN {bsn}, verwezen naar formulier",
    ),
    "dienstverlening": (
        "- {klant} boos: al 3x gebeld, nooit teruggebeld over eerdere melding. {tb} VANDAAG",
        "- {klant} klaagt over wachttijd telefoon (25 min). Excuses aangeboden",
        "- {klant} heeft mail gestuurd {periode} geleden, geen reactie. {tb}",
        "- {klant} kon niet inloggen op Mijn Zeist, 3x geprobeerd. Tel {tel}, {tb}",
        "? {klant} kan formulier op website niet vinden, samen gezocht, link gemaild naar {email}",
        "+ {klant} belt om te bedanken voor de snelle hulp vorige week",
        "+ {klant} compliment voor medewerker balie, wil dat het wordt doorgegeven",
    ),
    "overig": (
        "- {klant} klaagt over onderhoud graf ouders op begraafplaats, doorgezet naar {door}",
        "? {klant} vraagt naar openingstijden gemeentehuis rond de feestdagen",
        "? {klant} stempas kwijt, uitgelegd hoe vervangende stempas aan te vragen. BSN {bsn}",
        "? {klant} vraagt naar grafrechten verlengen, doorgezet naar {door}",
    ),
}

SPIKE_CALLS: tuple[str, ...] = (
    "- {klant} belt over afsluiting Slotlaan, kan garage niet in of uit. {tb}, tel {tel}",
    "- Ondernemer Slotlaan belt, klanten kunnen de winkel niet bereiken door afsluiting. {klant}, {tel}. Doorgezet naar {door}",
    "- {klant} klaagt over verkeer door woonstraat in centrum door omleiding Slotlaan. {tb}",
    "- {klant} mantelzorger, kan moeder op Slotlaan {huisnr} niet bereiken met de auto. {tb} op {tel}",
    "- {klant} boos, geen bewonersbrief gehad over werkzaamheden Slotlaan. Adres {adres}. Doorgezet naar {door}",
    "- {klant} belt: omleidingsborden Slotlaan wijzen verkeerd, chaos bij {omweg}. Doorgezet naar {door}",
    "? {klant} vraagt hoe lang de Slotlaan dicht blijft en waar de omleiding loopt",
    "? {klant} vraagt of Slotlaan bereikbaar is voor invalidentaxi, {tb}",
)

CALLERS = ("mw", "dhr", "mw.", "dhr.", "mevr", "bewoner", "beller", "mw {achternaam}", "dhr {achternaam}",
           "mw. {achternaam}", "dhr. {achternaam}", "mevr. {achternaam}", "dhr {voorletter}. {familienaam}",
           "mw {voorletter}. {familienaam}", "{volle_naam}")
CALLBACKS = ("verzoek terugbellen", "graag tb", "wil teruggebeld worden", "tb-verzoek ingeschoten",
             "verzoek tb binnen 24 uur", "svp terugbellen")
# Extra personal data a note sometimes ends with.
PII_TAILS = ("Tel {tel}", "tel. {tel}", "tb nr {tel}", "bsn {bsn}", "adres {adres}, {pc}", "mail: {email}",
             "{pc} {huisnr}", "mob {tel}", "e-mail {email}")
