"""Delivery over the wire: a JSON POST (webhooks) and an SMTP send. Errors say whether a retry may help."""
from __future__ import annotations

import json
import socket
import urllib.error
import urllib.request
from email.message import EmailMessage
from typing import Any

from pipeline.notify.config import NotifyTarget
from pipeline.notify.mail import MailError, SmtpServer, send_message

RETRYABLE_STATUS = frozenset({408, 425, 429, 500, 502, 503, 504})
MAX_ERROR_BODY = 300


class DeliveryError(Exception):
    """A failed delivery; `retryable` is False when repeating the same request cannot succeed."""

    def __init__(self, message: str, retryable: bool) -> None:
        """A failure described by `message`."""
        super().__init__(message)
        self.retryable = retryable


def post_json(url: str, payload: dict[str, Any], headers: dict[str, str], timeout: float) -> int:
    """POST `payload` as JSON; return the status or raise DeliveryError."""
    data = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    request = urllib.request.Request(url, data=data, method="POST",
                                     headers={"Content-Type": "application/json; charset=utf-8",
                                              "User-Agent": "stadssignaal-alerts", **headers})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status
    except urllib.error.HTTPError as err:
        body = err.read(MAX_ERROR_BODY).decode("utf-8", errors="replace")
        raise DeliveryError(f"HTTP {err.code} from {url}: {body}", err.code in RETRYABLE_STATUS) from None
    except (urllib.error.URLError, socket.timeout, ConnectionError, OSError) as err:
        reason = getattr(err, "reason", err)
        raise DeliveryError(f"cannot reach {url}: {reason}", True) from None


def send_mail(target: NotifyTarget, message: EmailMessage) -> None:
    """Send one message through the target's SMTP server or raise DeliveryError."""
    server = SmtpServer(target.smtp_host, target.smtp_port, target.smtp_username, target.smtp_password,
                        starttls=target.smtp_starttls, implicit_tls=target.smtp_ssl, timeout=target.timeout)
    try:
        send_message(server, message)
    except MailError as err:
        raise DeliveryError(str(err), err.retryable) from None
