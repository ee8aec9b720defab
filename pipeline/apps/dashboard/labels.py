"""Dutch display names for channels, topic codes and sentiment labels shown on the dashboard."""
from __future__ import annotations

CHANNEL_LABELS: dict[str, str] = {
    "twitter": "Twitter/X",
    "facebook": "Facebook",
    "call_note": "Telefoonnotitie",
    "site_search": "Zoekopdracht website",
    "email": "E-mail",
    "whatsapp": "WhatsApp",
    "webform": "Webformulier",
}

TOPIC_LABELS: dict[str, str] = {
    "afval": "Afval",
    "verkeer": "Verkeer en wegwerkzaamheden",
    "parkeren": "Parkeren",
    "openbare_ruimte": "Openbare ruimte",
    "overlast": "Overlast",
    "burgerzaken": "Burgerzaken",
    "belastingen": "Belastingen",
    "vergunningen": "Vergunningen en bouwen",
    "zorg": "Zorg en WMO",
    "werk_inkomen": "Werk en inkomen",
    "dienstverlening": "Dienstverlening",
    "overig": "Overig",
}

SENTIMENT_LABELS: dict[str, str] = {
    "negative": "Negatief",
    "neutral": "Neutraal",
    "positive": "Positief",
}

WINDOW_LABELS: dict[str, str] = {
    "1h": "Afgelopen uur",
    "24h": "24 uur",
    "7d": "7 dagen",
    "all": "Alles",
}
