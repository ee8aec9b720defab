"""Notifiers for alert events: JSON webhook, Microsoft Teams, Slack/Mattermost and SMTP e-mail, delivered in the
background with retries."""
from pipeline.notify.config import NotifyConfig, NotifyTarget, notify_config_from_settings
from pipeline.notify.dispatcher import AlertDispatcher
from pipeline.notify.notifiers import EmailNotifier, WebhookNotifier, build_notifiers
from pipeline.notify.transport import DeliveryError

__all__ = ["AlertDispatcher", "DeliveryError", "EmailNotifier", "NotifyConfig", "NotifyTarget", "WebhookNotifier",
           "build_notifiers", "notify_config_from_settings"]
