"""The weekly report's e-mail: settings from STADSSIGNAAL_SMTP_* variables, delivered by the one SMTP sender."""
from __future__ import annotations

import logging
from email.message import EmailMessage
from typing import Annotated, Any

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from pipeline.notify.mail import MailError, SmtpServer, send_message

log = logging.getLogger(__name__)


class MailSettings(BaseSettings):
    """SMTP server and addresses; `recipients` may be a comma-separated string."""

    model_config = SettingsConfigDict(env_prefix="STADSSIGNAAL_SMTP_", extra="ignore")

    host: str = Field("", description="SMTP server; empty means e-mail is off")
    port: int = Field(25, description="SMTP port (587 with STARTTLS, 465 with implicit TLS)")
    sender: str = Field("stadssignaal@localhost", description="From address")
    recipients: Annotated[list[str], NoDecode] = Field(default_factory=list, description="To addresses")
    username: str = Field("", description="login name; empty means no login")
    password: str = Field("", description="login password")
    starttls: bool = Field(False, description="upgrade the connection with STARTTLS before login")
    ssl: bool = Field(False, description="connect with implicit TLS (port 465)")
    timeout: float = Field(30.0, description="seconds to wait for the server")

    @field_validator("recipients", mode="before")
    @classmethod
    def _split_recipients(cls, value: Any) -> Any:
        """Accept "a@x.nl, b@x.nl" as well as a list."""
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @property
    def enabled(self) -> bool:
        """True when a server and at least one recipient are set."""
        return bool(self.host and self.recipients)


def build_message(subject: str, body: str, settings: MailSettings) -> EmailMessage:
    """A plain-text UTF-8 message from the configured sender to the configured recipients."""
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = settings.sender
    message["To"] = ", ".join(settings.recipients)
    message.set_content(body)
    return message


def send_mail(subject: str, body: str, settings: MailSettings) -> None:
    """Send the message; raises RuntimeError with the reason when it cannot be delivered."""
    if not settings.enabled:
        raise RuntimeError("e-mail is not configured: set STADSSIGNAAL_SMTP_HOST and STADSSIGNAAL_SMTP_RECIPIENTS")
    message = build_message(subject, body, settings)
    server = SmtpServer(settings.host, settings.port, settings.username, settings.password,
                        starttls=settings.starttls, implicit_tls=settings.ssl, timeout=settings.timeout)
    try:
        send_message(server, message)
    except MailError as err:
        raise RuntimeError(f"could not send e-mail via {settings.host}:{settings.port}: {err}") from err
    log.info("mailed %r to %d recipient(s)", subject, len(settings.recipients))
