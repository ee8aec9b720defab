"""The daily digest's e-mail (built here, delivered by the one SMTP sender) and the next daily send time."""
from __future__ import annotations

import logging
from datetime import datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from zoneinfo import ZoneInfo

from pipeline.apps.advisers.settings import AdvisersSettings
from pipeline.notify.mail import SmtpServer, send_message

log = logging.getLogger(__name__)

TZ = ZoneInfo("Europe/Amsterdam")


class MailNotConfigured(ValueError):
    """The digest should be mailed but the SMTP host, sender or recipients are missing."""


def parse_clock(text: str) -> tuple[int, int]:
    """'HH:MM' (24-hour) as (hour, minute); ValueError otherwise."""
    try:
        hour_text, minute_text = text.strip().split(":")
        hour, minute = int(hour_text), int(minute_text)
    except ValueError:
        raise ValueError(f"time must look like HH:MM, got {text!r}") from None
    if not (0 <= hour < 24 and 0 <= minute < 60):
        raise ValueError(f"time must look like HH:MM, got {text!r}")
    return hour, minute


def next_run(now: datetime, hour: int, minute: int) -> datetime:
    """The first moment after `now` (aware) at hour:minute Dutch time."""
    local = now.astimezone(TZ)
    candidate = local.replace(hour=hour, minute=minute, second=0, microsecond=0)
    if candidate <= local:
        candidate = (local + timedelta(days=1)).replace(hour=hour, minute=minute, second=0, microsecond=0)
    return candidate


def build_message(settings: AdvisersSettings, subject: str, html_text: str, pdf: Path | None = None) -> EmailMessage:
    """The digest mail: a plain-text note, the HTML as alternative, and the PDF attached when given."""
    if not (settings.digest_smtp_host and settings.digest_mail_from and settings.digest_mail_to):
        raise MailNotConfigured("set digest_smtp_host, digest_mail_from and digest_mail_to to mail the digest")
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = settings.digest_mail_from
    message["To"] = ", ".join(settings.digest_mail_to)
    message.set_content("Het dagoverzicht van Stadssignaal staat in deze mail (HTML) en als PDF-bijlage.")
    message.add_alternative(html_text, subtype="html")
    if pdf is not None:
        message.add_attachment(pdf.read_bytes(), maintype="application", subtype="pdf", filename=pdf.name)
    return message


def send(settings: AdvisersSettings, message: EmailMessage, timeout: float = 30.0) -> None:
    """Deliver `message` through the configured SMTP server (STARTTLS and login when configured)."""
    host = settings.digest_smtp_host
    if not host:
        raise MailNotConfigured("digest_smtp_host is not set")
    server = SmtpServer(host, settings.digest_smtp_port, settings.digest_smtp_user or "",
                        settings.digest_smtp_password or "", starttls=settings.digest_smtp_starttls, timeout=timeout)
    send_message(server, message)
    log.info("digest mailed to %d recipient(s) via %s", len(settings.digest_mail_to), host)
