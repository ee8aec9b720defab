"""The one SMTP sender: alert mails, the webteam's weekly summary and the advisers' digest all go through it."""
from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage


class MailError(Exception):
    """A message could not be delivered; `retryable` says whether trying again later may help."""

    def __init__(self, reason: str, retryable: bool) -> None:
        super().__init__(reason)
        self.retryable = retryable


@dataclass(frozen=True, slots=True)
class SmtpServer:
    """Where and how to deliver: host and port, optional login, STARTTLS or implicit TLS."""

    host: str
    port: int = 25
    username: str = ""
    password: str = ""
    starttls: bool = False
    implicit_tls: bool = False
    timeout: float = 30.0


def send_message(server: SmtpServer, message: EmailMessage) -> None:
    """Deliver `message` or raise MailError naming the server and the reason (never the message's content)."""
    if not server.host:
        raise MailError("no SMTP server is configured", False)
    try:
        if server.implicit_tls:
            client: smtplib.SMTP = smtplib.SMTP_SSL(server.host, server.port, timeout=server.timeout,
                                                    context=ssl.create_default_context())
        else:
            client = smtplib.SMTP(server.host, server.port, timeout=server.timeout)
        with client:
            if server.starttls and not server.implicit_tls:
                client.starttls(context=ssl.create_default_context())
            if server.username:
                client.login(server.username, server.password)
            client.send_message(message)
    except smtplib.SMTPResponseException as err:
        raise MailError(f"SMTP {err.smtp_code} from {server.host}: {err.smtp_error!r}",
                        400 <= err.smtp_code < 500) from None
    except smtplib.SMTPRecipientsRefused as err:
        raise MailError(f"SMTP server {server.host} refused {len(err.recipients)} recipient(s)", False) from None
    except (smtplib.SMTPException, OSError) as err:
        raise MailError(f"SMTP to {server.host}:{server.port} failed: {err}", True) from None
