"""E-mail notifier against a tiny local SMTP server (written here: enough of RFC 5321 for smtplib)."""
from __future__ import annotations

import email
import logging
import socketserver
import threading
from datetime import datetime, timedelta, timezone
from email.message import Message
from typing import Any, Iterator

import pytest

from pipeline.alerts.model import Alert, AlertEvent, Example, dashboard_link
from pipeline.notify import AlertDispatcher, NotifyConfig, NotifyTarget

START = datetime(2026, 3, 3, 14, 0, tzinfo=timezone.utc)


class Mailbox:
    """Messages the server accepted, and the reply it gives to MAIL FROM (250, or an error to test failures)."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], Message]] = []
        self.mail_replies: list[str] = ["250 OK"]
        self.lock = threading.Lock()


@pytest.fixture
def smtp() -> Iterator[tuple[int, Mailbox]]:
    box = Mailbox()

    class Session(socketserver.StreamRequestHandler):
        def reply(self, line: str) -> None:
            self.wfile.write(line.encode("ascii") + b"\r\n")

        def handle(self) -> None:
            sender, recipients = "", []
            self.reply("220 test-smtp ready")
            while True:
                raw = self.rfile.readline()
                if not raw:
                    return
                command = raw.decode("utf-8", "replace").strip()
                verb = command[:4].upper()
                if verb in ("EHLO", "HELO"):
                    self.reply("250 test-smtp")
                elif verb == "MAIL":
                    with box.lock:
                        answer = box.mail_replies.pop(0) if len(box.mail_replies) > 1 else box.mail_replies[0]
                    sender = command.split(":", 1)[1].strip(" <>")
                    self.reply(answer)
                elif verb == "RCPT":
                    recipients.append(command.split(":", 1)[1].strip(" <>"))
                    self.reply("250 OK")
                elif verb == "DATA":
                    self.reply("354 end with <CRLF>.<CRLF>")
                    lines = []
                    while (line := self.rfile.readline()) not in (b".\r\n", b""):
                        lines.append(line[1:] if line.startswith(b"..") else line)
                    with box.lock:
                        box.messages.append((sender, recipients, email.message_from_bytes(b"".join(lines))))
                    self.reply("250 queued")
                elif verb == "RSET":
                    sender, recipients = "", []
                    self.reply("250 OK")
                elif verb == "QUIT":
                    self.reply("221 bye")
                    return
                else:
                    self.reply("502 not implemented")

    class Server(socketserver.ThreadingTCPServer):
        allow_reuse_address = True
        daemon_threads = True

    server = Server(("127.0.0.1", 0), Session)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1], box
    server.shutdown()
    server.server_close()
    thread.join(5)


def _event() -> AlertEvent:
    scope = {"type": "place", "value": "Centrum"}
    alert = Alert(id="verkeer-20260303T1400Z", topic="verkeer", scope=scope, start=START, end=None, observed=35,
                  expected=3.9, p_value=4e-12, trigger="volume", new_terms=["slotlaan"],
                  examples=[Example(id="call_note:7", text="mw [naam] belt over afgesloten Slotlaan", channel="call_note",
                                    created_at="2026-03-03T14:10:00Z", sentiment="negative")],
                  link=dashboard_link("", "verkeer", scope, START, None), updated_at=START)
    return AlertEvent("opened", alert, START + timedelta(minutes=17))


def _dispatcher(port: int, attempts: int = 3, **target: Any) -> AlertDispatcher:
    config = NotifyConfig(targets=[NotifyTarget(name="duty", kind="email", smtp_host="127.0.0.1", smtp_port=port,
                                                sender="signaal@zeist.example", recipients=["wacht@zeist.example",
                                                                                            "kcc@zeist.example"],
                                                timeout=5, **target)],
                          max_attempts=attempts, backoff_seconds=0.05, backoff_max_seconds=0.2,
                          dashboard_url="https://signaal.zeist.example")
    return AlertDispatcher(config)


def test_email_reaches_the_smtp_server(smtp: tuple[int, Mailbox]) -> None:
    port, box = smtp
    dispatcher = _dispatcher(port)
    dispatcher.submit([_event()])
    assert dispatcher.flush(10)
    dispatcher.close()
    (sender, recipients, message), = box.messages
    assert sender == "signaal@zeist.example" and recipients == ["wacht@zeist.example", "kcc@zeist.example"]
    assert message["Subject"].startswith("[Stadssignaal] Nieuwe piek: verkeer (wijk Centrum)")
    assert message["X-Stadssignaal-Alert"] == "verkeer-20260303T1400Z"
    body = message.get_payload(decode=True).decode("utf-8")
    assert "Gezien / normaal: 35 / 3.9" in body and "afgesloten Slotlaan" in body
    assert "https://signaal.zeist.example/?topic=verkeer&place=Centrum" in body
    assert "loopt nog" in body


def test_temporary_smtp_error_is_retried(smtp: tuple[int, Mailbox]) -> None:
    port, box = smtp
    box.mail_replies = ["451 try again later", "250 OK"]
    dispatcher = _dispatcher(port)
    dispatcher.submit([_event()])
    assert dispatcher.flush(10)
    dispatcher.close()
    assert len(box.messages) == 1 and dispatcher.stats["retried"] == 1 and dispatcher.stats["sent"] == 1


def test_permanent_smtp_error_is_logged_not_raised(smtp: tuple[int, Mailbox], caplog: pytest.LogCaptureFixture) -> None:
    port, box = smtp
    box.mail_replies = ["550 no such sender"]
    caplog.set_level(logging.WARNING)
    dispatcher = _dispatcher(port, attempts=4)
    dispatcher.submit([_event()])
    assert dispatcher.flush(10)
    dispatcher.close()
    assert box.messages == [] and dispatcher.stats["failed"] == 1 and dispatcher.stats["retried"] == 0
    assert "giving up" in caplog.text and "550" in caplog.text
