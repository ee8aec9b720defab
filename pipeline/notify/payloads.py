"""Message bodies per destination: generic JSON, a Microsoft Teams Adaptive Card, a Slack/Mattermost attachment,
and an e-mail. Human-facing text is Dutch, for the municipal duty officer who receives it."""
from __future__ import annotations

from datetime import datetime
from email.message import EmailMessage
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from pipeline.alerts.model import AlertEvent

LOCAL = ZoneInfo("Europe/Amsterdam")
KIND_LABEL = {"opened": "Nieuwe piek", "updated": "Piek groeit", "closed": "Piek voorbij"}
TRIGGER_LABEL = {"volume": "meer berichten dan normaal", "negative_share": "meer negatieve berichten dan normaal"}
SCOPE_LABEL = {"topic": "", "channel": "kanaal", "place": "wijk"}
SEVERITY_LABEL = {"melding": "melding", "waarschuwing": "waarschuwing", "alarm": "alarm"}
COLOR = {"opened": "#c0392b", "updated": "#e67e22", "closed": "#27ae60"}
SOURCE = "stadssignaal"


def absolute_link(link: str, base: str) -> str:
    """Prefix a relative dashboard link with the dashboard's address."""
    if link.startswith(("http://", "https://")) or not base:
        return link
    return base.rstrip("/") + "/" + link.lstrip("/")


def _local(iso: str | None) -> str:
    """An ISO time as local day-month-year hour:minute."""
    if not iso:
        return "-"
    moment = datetime.fromisoformat(iso.replace("Z", "+00:00")).astimezone(LOCAL)
    return moment.strftime("%d-%m-%Y %H:%M")


def title(event: AlertEvent) -> str:
    """One line: what happened, to which topic, where."""
    alert = event.alert
    scope = alert.scope
    where = f" ({SCOPE_LABEL.get(scope['type'], scope['type'])} {scope['value']})" if scope["type"] != "topic" else ""
    return f"{KIND_LABEL.get(event.kind, event.kind)}: {alert.topic}{where}"


def facts(event: AlertEvent) -> list[tuple[str, str]]:
    """Label/value pairs shown in every format."""
    data = event.alert.to_dict()
    ratio = f"{data['ratio']:.1f}x" if data["ratio"] is not None else "-"
    rows = [
        ("Onderwerp", data["topic"]),
        ("Bereik", f"{data['scope']['type']}: {data['scope']['value']}"),
        ("Ernst", SEVERITY_LABEL.get(data["severity"], data["severity"])),
        ("Gezien / normaal", f"{data['observed']} / {data['expected']:.1f} ({ratio})"),
        ("Sinds", _local(data["start"])),
        ("Tot", _local(data["end"]) if data["end"] else "loopt nog"),
        ("Reden", TRIGGER_LABEL.get(data["trigger"], data["trigger"])),
    ]
    if data["band"]:
        low, high = data["band"]
        rows.insert(4, ("Gebruikelijk", f"{low:.1f} tot {high:.1f}".replace(".", ",")))
    if data["new_terms"]:
        rows.append(("Nieuwe woorden", ", ".join(data["new_terms"])))
    return rows


def alert_page_link(event: AlertEvent, base: str = "") -> str:
    """The duty officer's page of the alert (curve, examples, acknowledge and close), absolute when `base` is set."""
    return absolute_link(f"/alerts?{urlencode({'id': event.alert.id})}", base)


def example_lines(event: AlertEvent, limit: int = 5) -> list[str]:
    """The example signals as short lines (already redacted by enrichment)."""
    lines = []
    for example in event.alert.examples[:limit]:
        text = " ".join(example.text.split())
        lines.append(f"[{example.channel or '?'}] {text[:280]}")
    return lines


def generic_payload(event: AlertEvent, base: str = "") -> dict[str, Any]:
    """The generic JSON webhook body: the event with the full alert."""
    body = event.to_dict()
    body["source"] = SOURCE
    body["alert"]["link"] = absolute_link(body["alert"]["link"], base)
    body["alert"]["page"] = alert_page_link(event, base)
    return body


def teams_payload(event: AlertEvent, base: str = "") -> dict[str, Any]:
    """A Teams incoming-webhook / Workflows message carrying an Adaptive Card."""
    body: list[dict[str, Any]] = [
        {"type": "TextBlock", "text": title(event), "weight": "Bolder", "size": "Medium", "wrap": True},
        {"type": "FactSet", "facts": [{"title": k, "value": v} for k, v in facts(event)]},
    ]
    examples = example_lines(event)
    if examples:
        body.append({"type": "TextBlock", "text": "Voorbeelden", "weight": "Bolder", "spacing": "Medium"})
        body.extend({"type": "TextBlock", "text": f"- {line}", "wrap": True, "spacing": "Small"} for line in examples)
    card = {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json", "type": "AdaptiveCard", "version": "1.4",
        "body": body,
        "actions": [{"type": "Action.OpenUrl", "title": "Piek openen", "url": alert_page_link(event, base)},
                    {"type": "Action.OpenUrl", "title": "Berichten in dashboard",
                     "url": absolute_link(event.alert.link, base)}],
    }
    return {"type": "message",
            "attachments": [{"contentType": "application/vnd.microsoft.card.adaptive", "contentUrl": None,
                             "content": card}]}


def slack_payload(event: AlertEvent, base: str = "") -> dict[str, Any]:
    """A Slack or Mattermost incoming-webhook body (text plus one attachment, understood by both)."""
    link = alert_page_link(event, base)
    summary = title(event)
    examples = "\n".join(f"> {line}" for line in example_lines(event))
    return {
        "text": summary,
        "attachments": [{
            "fallback": f"{summary}: {event.alert.observed} berichten, normaal {event.alert.expected:.1f}",
            "color": COLOR.get(event.kind, "#888888"), "title": summary, "title_link": link,
            "text": examples,
            "fields": [{"title": k, "value": v, "short": len(v) < 40} for k, v in facts(event)],
        }],
    }


def email_message(event: AlertEvent, sender: str, recipients: list[str], base: str = "") -> EmailMessage:
    """A plain-text e-mail for the event."""
    message = EmailMessage()
    alert = event.alert
    message["Subject"] = (f"[Stadssignaal] {title(event)} - {alert.observed} berichten, "
                          f"normaal {alert.expected:.1f}")
    message["From"] = sender
    message["To"] = ", ".join(recipients)
    message["X-Stadssignaal-Alert"] = alert.id
    lines = [title(event), ""]
    lines += [f"{k}: {v}" for k, v in facts(event)]
    examples = example_lines(event)
    if examples:
        lines += ["", "Voorbeelden:"] + [f"- {line}" for line in examples]
    lines += ["", f"Piek bekijken en afhandelen: {alert_page_link(event, base)}",
              f"Berichten in het dashboard: {absolute_link(alert.link, base)}", f"Melding-id: {alert.id}"]
    message.set_content("\n".join(lines))
    return message
