"""Dutch display names for channels, topic codes and sentiment labels: the one source every page and
command uses (topic names come from the enricher's taxonomy, pipeline/enrich/data/taxonomy.json)."""
from __future__ import annotations

import json
from importlib import resources


def topic_labels() -> dict[str, str]:
    """Code -> Dutch label of every topic in the enricher's taxonomy, in its order."""
    text = resources.files("pipeline.enrich").joinpath("data", "taxonomy.json").read_text(encoding="utf-8")
    return {topic["code"]: topic["label"] for topic in json.loads(text)["topics"]}


CHANNEL_LABELS: dict[str, str] = {
    "twitter": "Twitter/X",
    "facebook": "Facebook",
    "call_note": "Telefoonnotitie",
    "site_search": "Zoekopdracht website",
    "email": "E-mail",
    "whatsapp": "WhatsApp",
    "webform": "Webformulier",
}

TOPIC_LABELS: dict[str, str] = topic_labels()

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

ALERT_TRIGGER_LABELS: dict[str, str] = {
    "volume": "Veel meer berichten dan normaal",
    "negative_share": "Veel meer negatieve berichten dan normaal",
}

ALERT_SCOPE_LABELS: dict[str, str] = {"topic": "Hele onderwerp", "channel": "Kanaal", "place": "Wijk"}

ALERT_HANDLING_LABELS: dict[str, str] = {"new": "Nieuw", "acknowledged": "Bevestigd", "closed": "Afgehandeld"}
ALERT_SEVERITY_LABELS: dict[str, str] = {"melding": "Melding", "waarschuwing": "Waarschuwing", "alarm": "Alarm"}

SEARCH_TREND_LABELS: dict[str, str] = {"new": "nieuw", "rising": "stijgend", "steady": "gelijk", "falling": "dalend"}

REVIEW_STATUS_LABELS: dict[str, str] = {"open": "open", "handled": "afgehandeld", "ignored": "genegeerd"}


def label_tables() -> dict[str, dict[str, str]]:
    """Every label table by the name the pages use (served in /api/meta)."""
    return {"channels": CHANNEL_LABELS, "topics": TOPIC_LABELS, "sentiments": SENTIMENT_LABELS,
            "windows": WINDOW_LABELS, "alert_triggers": ALERT_TRIGGER_LABELS, "alert_scopes": ALERT_SCOPE_LABELS,
            "alert_handling": ALERT_HANDLING_LABELS, "alert_severities": ALERT_SEVERITY_LABELS,
            "search_trends": SEARCH_TREND_LABELS, "review_statuses": REVIEW_STATUS_LABELS}
