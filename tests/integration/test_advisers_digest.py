"""The daily digest: its numbers match the store, HTML escapes, PDF is one page, mail and daily schedule work."""
from __future__ import annotations

import re
import sqlite3
from datetime import datetime, timezone
from email.message import EmailMessage
from pathlib import Path

import pytest
from click.testing import CliRunner

from pipeline.apps.advisers import digest_mail
from pipeline.apps.advisers.digest_run import DigestJob, resolve_end
from pipeline.apps.advisers.settings import AdvisersSettings
from pipeline.bench.synthetic_signals import enriched_doc, sample_docs
from pipeline.cli.dashboard import digest as digest_command
from pipeline.notify import mail
from pipeline.sinks.sqlite.advisers import Dossier, save_dossier
from pipeline.sinks.sqlite.store import SqliteStore

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=timezone.utc).timestamp()
H = 3_600.0
UNTIL = "2026-03-02T10:00:00+00:00"


@pytest.fixture
def day_store(store_path: Path) -> Path:
    """Two days of sample signals, one deleted, one with markup, and two dossiers."""
    store = SqliteStore(store_path)
    docs = sample_docs(400, end=T0 - 60, span_seconds=48 * H, seed=11)
    docs.append(enriched_doc("twitter:gone", T0 - 2 * H, "weg ermee", topic="afval", meta={"deleted": True}))
    store.write(None, None, docs)
    store.close()
    save_dossier(store_path, Dossier(name="Slotlaan <script>x</script>", keywords=("slotlaan", "omleiding"),
                                     topics=("verkeer",)))
    save_dossier(store_path, Dossier(name="Afval", topics=("afval",)))
    return store_path


def store_counts(path: Path, start: float, end: float) -> tuple[int, dict[str, int], dict[str, int]]:
    """Independent figures straight from the signals table: total, per topic, negatives per topic."""
    conn = sqlite3.connect(path)
    where = "ts >= ? AND ts < ? AND coalesce(json_extract(doc, '$.meta.deleted'), 0) = 0"
    total = conn.execute(f"SELECT COUNT(*) FROM signals WHERE {where}", (start, end)).fetchone()[0]
    topics = dict(conn.execute(f"SELECT topic, COUNT(*) FROM signals WHERE {where} GROUP BY topic", (start, end)))
    negative = dict(conn.execute(f"SELECT topic, COUNT(*) FROM signals WHERE {where} AND sentiment = 'negative' "
                                 f"GROUP BY topic", (start, end)))
    conn.close()
    return total, topics, negative


def test_digest_numbers_match_the_store(day_store: Path, tmp_path: Path) -> None:
    """Total, per-topic counts and negatives in the digest equal independent SQL over the same 24 hours."""
    settings = AdvisersSettings(municipality="Zeist")
    job = DigestJob(day_store, settings, tmp_path / "digest.html", tmp_path / "digest.pdf", until=UNTIL)
    lines = list(job.run_once())
    data = job.figures()
    total, topics, negative = store_counts(day_store, T0 - 24 * H, T0)
    before_total, before_topics, _ = store_counts(day_store, T0 - 48 * H, T0 - 24 * H)
    assert data["total"] == total > 100
    assert {t["topic"]: t["count"] for t in data["topics"]} == {k: v for k, v in topics.items() if k}
    assert {t["topic"]: t["negative"] for t in data["topics"] if t["negative"]} == {k: v for k, v in negative.items() if k}
    assert {t["topic"]: t["before"] for t in data["topics"]} == {k: before_topics.get(k, 0) for k in topics if k}
    by_name = {d["name"]: d for d in data["dossiers"]}
    assert by_name["Afval"]["count"] == topics["afval"]
    assert by_name["Slotlaan <script>x</script>"]["count"] > 0
    html_text = (tmp_path / "digest.html").read_text(encoding="utf-8")
    assert re.search(r'id="digest-total">(\d+)<', html_text).group(1) == str(total)
    assert "<script>" not in html_text and "Slotlaan &lt;script&gt;x&lt;/script&gt;" in html_text
    pdf = (tmp_path / "digest.pdf").read_bytes()
    assert pdf.startswith(b"%PDF-")
    assert len(re.findall(rb"/Type\s*/Page[^s]", pdf)) == 1  # one page
    assert lines[0].startswith(f"digest of {total} signals") and lines[1].startswith("PDF written")


def test_until_options() -> None:
    """'now', 'newest' and ISO times; nonsense is a clear error."""
    assert resolve_end("now", 5.5, now=99.0) == 99.0
    assert resolve_end("newest", 5.5, now=99.0) == 6.0
    assert resolve_end("newest", None, now=99.0) == 99.0
    assert resolve_end(UNTIL, None) == T0
    with pytest.raises(ValueError, match="--until"):
        resolve_end("gisteren", None)


class FakeSMTP:
    """Stands in for smtplib.SMTP and records what would be sent."""

    sent: list[EmailMessage] = []

    def __init__(self, host: str, port: int, timeout: float) -> None:
        """Record the server."""
        self.server = (host, port)

    def __enter__(self) -> "FakeSMTP":
        """Context manager entry."""
        return self

    def __exit__(self, *_exc: object) -> None:
        """Context manager exit."""

    def send_message(self, message: EmailMessage) -> None:
        """Keep the message."""
        FakeSMTP.sent.append(message)


def test_mail_and_daily_schedule(day_store: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """--mail sends HTML with the PDF attached; the daily loop waits until HH:MM Dutch time and runs."""
    monkeypatch.setattr(mail.smtplib, "SMTP", FakeSMTP)
    FakeSMTP.sent = []
    settings = AdvisersSettings(municipality="Zeist", digest_smtp_host="smtp.example", digest_mail_from="a@example.nl",
                                digest_mail_to=["team@example.nl"])
    job = DigestJob(day_store, settings, tmp_path / "d.html", tmp_path / "d.pdf", mail=True, until=UNTIL)
    waited: list[float] = []
    echoed: list[str] = []
    job.run_daily("07:30", echoed.append, sleep=waited.append, rounds=1)
    assert len(waited) == 1 and 0 <= waited[0] <= 86_400
    assert echoed[0].startswith("next digest at ") and echoed[0].endswith("07:30 (Dutch time)")
    assert echoed[-1] == "mailed to team@example.nl"
    message = FakeSMTP.sent[0]
    assert message["To"] == "team@example.nl" and "signalen" in message["Subject"]
    attachments = list(message.iter_attachments())
    assert [a.get_filename() for a in attachments] == ["d.pdf"]
    nl = digest_mail.next_run(datetime(2026, 3, 2, 7, 0, tzinfo=timezone.utc), 7, 30)
    assert nl.isoformat() == "2026-03-03T07:30:00+01:00"  # 08:00 Dutch time has passed 07:30
    with pytest.raises(digest_mail.MailNotConfigured):
        DigestJob(day_store, AdvisersSettings(), tmp_path / "x.html", mail=True)


def test_digest_command(day_store: Path, tmp_path: Path) -> None:
    """The click command writes the file and rejects a bad --at time."""
    out = tmp_path / "cmd.html"
    result = CliRunner().invoke(digest_command, ["--store", str(day_store), "--output", str(out), "--until", "newest"])
    assert result.exit_code == 0, result.output
    assert out.exists() and "written to" in result.output
    bad = CliRunner().invoke(digest_command, ["--store", str(day_store), "--output", str(out), "--at", "25:00"])
    assert bad.exit_code == 1 and "HH:MM" in bad.output


def test_no_change_figures_against_a_day_the_store_does_not_cover(store_path: Path, tmp_path: Path) -> None:
    """With 26 hours of signals the day before is two hours: the digest shows no change rather than +17280%."""
    from pipeline.apps.advisers.digest import change_text, digest_html, number
    from pipeline.apps.advisers.queries import digest_figures
    from pipeline.sinks.sqlite.store import connect

    store = SqliteStore(store_path)
    store.write(None, None, sample_docs(600, end=T0 - 60, span_seconds=26 * H, seed=5))
    store.close()
    conn = connect(store_path, readonly=True)
    try:
        partial = digest_figures(conn, T0, 24)
    finally:
        conn.close()
    assert not partial["before_covered"] and all(t["change"] is None for t in partial["topics"])
    assert any(t["before"] > 0 for t in partial["topics"])
    page = digest_html(partial, "Zeist")
    assert not re.search(r"[+-]\d+%", page)
    assert change_text(0.25, 80) == "+25%" and change_text(None, 0) == "nieuw" and change_text(1.5, 4, False) == "–"
    assert change_text(-0.004, 250) == "0%" and change_text(-0.25, 4) == "-25%" and change_text(172.8, 5) == "+17.280%"
    assert number(65489) == "65.489" and number(3.94, 1) == "3,9"
