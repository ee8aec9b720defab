"""One digest run (read the store, write HTML and PDF, mail) and the daily loop of `stadssignaal digest --at`."""
from __future__ import annotations

import logging
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Iterator

from pipeline.apps.advisers import digest_mail
from pipeline.apps.advisers.digest import digest_data, digest_html, local_time
from pipeline.apps.advisers.digest_pdf import write_pdf
from pipeline.apps.advisers.settings import advisers_settings, municipality_account
from pipeline.apps.dashboard.queries import store_span
from pipeline.core.settings import Settings
from pipeline.core.signal import parse_time
from pipeline.notify.mail import MailError
from pipeline.sinks.sqlite.advisers import ensure_schema
from pipeline.sinks.sqlite.store import connect

log = logging.getLogger(__name__)


def resolve_end(until: str, newest: float | None, now: float | None = None) -> float:
    """The digest's end: 'now', 'newest' (newest signal + 1 s, or now when empty) or an ISO 8601 time with offset."""
    clock = time.time() if now is None else now
    if until == "now":
        return clock
    if until == "newest":
        return float(int(newest) + 1) if newest is not None else clock
    try:
        return parse_time(until).timestamp()
    except ValueError as err:
        raise ValueError(f"--until must be 'now', 'newest' or ISO 8601 with offset: {err}") from None


class DigestJob:
    """Builds the digest from the store and writes/mails it; `run_once` yields a line per thing done."""

    def __init__(self, store: Path, settings: Settings, output: Path, pdf: Path | None = None, mail: bool = False,
                 until: str = "now", hours: int = 24) -> None:
        """Remember what to read and where to write."""
        self.store = Path(store)
        self.settings = advisers_settings(settings)
        self.output = Path(output)
        self.pdf = pdf
        self.mail = mail
        self.until = until
        self.hours = hours
        if mail:
            digest_mail.build_message(self.settings, "check", "")  # fail early when mail is not configured

    def run_once(self, now: float | None = None) -> Iterator[str]:
        """Read the figures, write the files, mail when asked."""
        data = self.figures(now)
        html_text = digest_html(data, self.settings.municipality)
        self.output.parent.mkdir(parents=True, exist_ok=True)
        self.output.write_text(html_text, encoding="utf-8")
        yield f"digest of {data['total']} signals ({local_time(data['start'])} - {local_time(data['end'])}) " \
              f"written to {self.output}"
        if self.pdf is not None:
            write_pdf(data, self.settings.municipality, self.pdf)
            yield f"PDF written to {self.pdf}"
        if self.mail:
            subject = f"Stadssignaal dagoverzicht {local_time(data['end'])[:10]} - {data['total']} signalen"
            message = digest_mail.build_message(self.settings, subject, html_text, self.pdf)
            digest_mail.send(self.settings, message)
            yield f"mailed to {', '.join(self.settings.digest_mail_to)}"

    def figures(self, now: float | None = None) -> dict:
        """The digest figures from the store (empty figures when it does not exist)."""
        if self.store.is_file():
            ensure_schema(self.store, municipality_account(self.settings))
            conn = connect(self.store, readonly=True)
            try:
                return digest_data(conn, resolve_end(self.until, store_span(conn)[1], now), self.hours)
            finally:
                conn.close()
        log.warning("the store %s does not exist (yet); the digest is empty", self.store)
        return digest_data(None, resolve_end(self.until, None, now), self.hours)

    def run_daily(self, at_time: str, echo: Callable[[str], None],
                  sleep: Callable[[float], None] = time.sleep, rounds: int | None = None) -> None:
        """Wait for HH:MM Dutch time, run, repeat daily (`rounds` limits it for tests); errors are logged, not fatal."""
        hour, minute = digest_mail.parse_clock(at_time)
        done = 0
        while rounds is None or done < rounds:
            due = digest_mail.next_run(datetime.now(timezone.utc), hour, minute)
            echo(f"next digest at {due.strftime('%Y-%m-%d %H:%M')} (Dutch time)")
            sleep(max(0.0, due.timestamp() - time.time()))
            try:
                for line in self.run_once():
                    echo(line)
            except (MailError, OSError, ValueError) as err:
                log.error("digest run failed: %s", err)
                echo(f"digest failed: {err}")
            done += 1
