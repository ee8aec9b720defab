"""Weekly summary: Markdown content and escaping, the file it writes, and e-mail to a local SMTP server."""
from __future__ import annotations

import socketserver
import threading
from datetime import datetime, timezone
from email import message_from_bytes
from email.policy import default
from pathlib import Path
from typing import Iterator

import pytest
from click.testing import CliRunner

from fakes.search_fixtures import repeated
from pipeline.apps.webteam.mailer import MailSettings, send_mail
from pipeline.apps.webteam.periods import DAY
from pipeline.apps.webteam.review import GroupFilter, ReviewService
from pipeline.apps.webteam.summary import build_summary, md
from pipeline.cli.search import search_summary
from pipeline.sinks.sqlite.store import SqliteStore

END = datetime(2024, 10, 15, tzinfo=timezone.utc).timestamp()
WEEK_START = END - 7 * DAY


class SmtpHandler(socketserver.StreamRequestHandler):
    """Just enough SMTP for smtplib: greeting, EHLO, MAIL, RCPT, DATA, QUIT; keeps each message."""

    def reply(self, line: str) -> None:
        """Send one SMTP reply line."""
        self.wfile.write(line.encode() + b"\r\n")

    def handle(self) -> None:
        """Serve one SMTP session."""
        self.reply("220 test SMTP")
        envelope: dict = {"to": []}
        while True:
            line = self.rfile.readline()
            if not line:
                return
            command = line.decode().strip()
            upper = command.upper()
            if upper.startswith(("EHLO", "HELO")):
                self.reply("250 test")
            elif upper.startswith("MAIL FROM:"):
                envelope["from"] = command[10:].strip()
                self.reply("250 OK")
            elif upper.startswith("RCPT TO:"):
                envelope["to"].append(command[8:].strip())
                self.reply("250 OK")
            elif upper == "DATA":
                self.reply("354 go ahead")
                data = b""
                while not data.endswith(b"\r\n.\r\n"):
                    chunk = self.rfile.readline()
                    if not chunk:
                        return
                    data += chunk
                envelope["data"] = data[:-5]
                self.server.messages.append(envelope)  # type: ignore[attr-defined]
                envelope = {"to": []}
                self.reply("250 queued")
            elif upper == "QUIT":
                self.reply("221 bye")
                return
            else:
                self.reply("250 OK")


@pytest.fixture
def smtp_server() -> Iterator[socketserver.ThreadingTCPServer]:
    """A local SMTP server in a thread; received messages in `.messages`."""
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), SmtpHandler)
    server.daemon_threads = True
    server.messages = []  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


@pytest.fixture
def service(store_path: Path) -> ReviewService:
    """A review service over a store with three zero-result groups."""
    store = SqliteStore(store_path)
    store.write(None, None, repeated("parkeervergunnig", 5, WEEK_START + 60, results=0)
                + repeated("<b>afval|kalender</b>", 2, WEEK_START + 600, results=0)
                + repeated("wmo", 3, WEEK_START + 900, results=0))
    store.close()
    return ReviewService(store_path)


def test_summary_lists_groups_and_escapes_resident_text(service: ReviewService) -> None:
    service.set_status("wmo", "handled", "pagina *wmo* gemaakt", at=END - 60)
    text = build_summary(service, END, now=END)
    assert text.startswith("# Zoektermen zonder resultaat: 2024-10-08 tot 2024-10-15")
    assert "| parkeervergunnig | 5 | 100% | new | parkeren |" in text
    assert "\\<b\\>afval\\|kalender\\</b\\>" in text and "<b>" not in text
    assert "- wmo: handled; pagina \\*wmo\\* gemaakt" in text
    open_section = text.split("## Open groepen")[1].split("## Nieuw")[0]
    assert "wmo" not in open_section


def test_md_escape() -> None:
    assert md("a|b\n*c*") == "a\\|b \\*c\\*"


def test_mail_is_sent_over_smtp(smtp_server: socketserver.ThreadingTCPServer) -> None:
    settings = MailSettings(host="127.0.0.1", port=smtp_server.server_address[1], sender="signaal@example.nl",
                            recipients="web@example.nl, kcc@example.nl")
    send_mail("Zoektermen week 41", "# Kop\nparkeervergunning: 5 keer", settings)
    [envelope] = smtp_server.messages  # type: ignore[attr-defined]
    assert envelope["to"] == ["<web@example.nl>", "<kcc@example.nl>"]
    message = message_from_bytes(envelope["data"], policy=default)
    assert message["Subject"] == "Zoektermen week 41"
    assert "parkeervergunning: 5 keer" in message.get_content()


def test_mail_errors_are_clear() -> None:
    with pytest.raises(RuntimeError, match="not configured"):
        send_mail("x", "y", MailSettings(host="", recipients=[]))
    with pytest.raises(RuntimeError, match="could not send"):
        send_mail("x", "y", MailSettings(host="127.0.0.1", port=1, recipients=["a@example.nl"], timeout=2))


def test_summary_command_writes_file_and_mails(service: ReviewService, tmp_path: Path,
                                               smtp_server: socketserver.ThreadingTCPServer,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STADSSIGNAAL_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("STADSSIGNAAL_SMTP_PORT", str(smtp_server.server_address[1]))
    monkeypatch.setenv("STADSSIGNAAL_SMTP_RECIPIENTS", "web@example.nl")
    output = tmp_path / "week.md"
    result = CliRunner().invoke(search_summary, ["--store", str(service.store_path), "--end", "2024-10-14",
                                                 "--output", str(output), "--mail"])
    assert result.exit_code == 0, result.output
    assert "parkeervergunnig" in output.read_text(encoding="utf-8")
    [envelope] = smtp_server.messages  # type: ignore[attr-defined]
    assert b"parkeervergunnig" in envelope["data"]


def test_handled_groups_are_named_by_what_residents_typed(store_path: Path) -> None:
    store = SqliteStore(store_path)
    store.write(None, None, repeated("asbest wegbrengen particulier", 3, WEEK_START + 60, results=0)
                + repeated("asbest weg brengen particulier", 1, WEEK_START + 90, results=0))
    store.close()
    service = ReviewService(store_path)
    key = service.groups(GroupFilter(window="7d", end=END))["groups"][0]["group"]
    assert key != "asbest wegbrengen particulier"
    service.set_status(key, "handled", "pagina asbest", at=END - 60)
    text = build_summary(service, END, now=END)
    assert "- asbest wegbrengen particulier: handled; pagina asbest" in text
    assert key not in text
