"""One notifier per target kind: each turns an alert event into its destination's format and delivers it."""
from __future__ import annotations

from typing import Callable, Protocol

from pipeline.alerts.model import AlertEvent
from pipeline.notify.config import NotifyConfig, NotifyTarget
from pipeline.notify.payloads import email_message, generic_payload, slack_payload, teams_payload
from pipeline.notify.transport import post_json, send_mail

PAYLOADS: dict[str, Callable[[AlertEvent, str], dict]] = {
    "webhook": generic_payload, "teams": teams_payload, "slack": slack_payload, "mattermost": slack_payload,
}


class Notifier(Protocol):
    """Something that can deliver an alert event; `send` raises DeliveryError on failure."""

    target: NotifyTarget

    def send(self, event: AlertEvent) -> None:
        """Deliver one event."""
        ...


class WebhookNotifier:
    """Posts JSON to a webhook in the target's format (generic, Teams, Slack or Mattermost)."""

    def __init__(self, target: NotifyTarget, dashboard_url: str = "") -> None:
        """Deliver to `target`; relative links are made absolute with `dashboard_url`."""
        self.target = target
        self.dashboard_url = dashboard_url
        self._payload = PAYLOADS[target.kind]

    def send(self, event: AlertEvent) -> None:
        """POST the event; raises DeliveryError."""
        post_json(self.target.url, self._payload(event, self.dashboard_url), self.target.headers,
                  self.target.timeout)


class EmailNotifier:
    """Sends a plain-text e-mail over SMTP."""

    def __init__(self, target: NotifyTarget, dashboard_url: str = "") -> None:
        """Deliver to `target`; relative links are made absolute with `dashboard_url`."""
        self.target = target
        self.dashboard_url = dashboard_url

    def send(self, event: AlertEvent) -> None:
        """Send the e-mail; raises DeliveryError."""
        send_mail(self.target, email_message(event, self.target.sender, self.target.recipients, self.dashboard_url))


def build_notifiers(config: NotifyConfig) -> list[Notifier]:
    """A notifier for every configured target."""
    out: list[Notifier] = []
    for target in config.targets:
        if target.kind == "email":
            out.append(EmailNotifier(target, config.dashboard_url))
        else:
            out.append(WebhookNotifier(target, config.dashboard_url))
    return out
