"""Webhook notifiers (generic JSON, Teams, Slack, Mattermost) against a local HTTP server: payload shapes,
routing, retries with backoff, and failures that are logged but never raised."""
from __future__ import annotations

import json
import logging
import threading
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Iterator

import pytest

from pipeline.alerts.model import Alert, AlertEvent, Example, dashboard_link
from pipeline.notify import AlertDispatcher, NotifyConfig, NotifyTarget

START = datetime(2026, 3, 3, 14, 0, tzinfo=timezone.utc)
BASE = "https://signaal.zeist.example"


class Recorder:
    """What the local server received, and the status codes it answers with (the last one repeats)."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.statuses: list[int] = [200]
        self.release = threading.Event()
        self.release.set()
        self.lock = threading.Lock()


@pytest.fixture
def server() -> Iterator[tuple[str, Recorder]]:
    recorder = Recorder()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server API)
            recorder.release.wait(10)
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length)
            with recorder.lock:
                recorder.requests.append({"path": self.path, "headers": dict(self.headers), "body": json.loads(body)})
                status = recorder.statuses.pop(0) if len(recorder.statuses) > 1 else recorder.statuses[0]
            self.send_response(status)
            self.send_header("Content-Type", "text/plain")
            self.end_headers()
            self.wfile.write(b"ok" if status < 300 else b"server says no")

        def log_message(self, *args: Any) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", recorder
    recorder.release.set()
    httpd.shutdown()
    httpd.server_close()
    thread.join(5)


def _event(kind: str = "opened", topic: str = "verkeer") -> AlertEvent:
    scope = {"type": "place", "value": "Centrum"}
    end = START + timedelta(hours=1) if kind == "closed" else None
    alert = Alert(id=f"{topic}-20260303T1400Z", topic=topic, scope=scope, start=START, end=end, observed=35,
                  expected=3.9, p_value=4e-12, trigger="volume", new_terms=["slotlaan", "omleiding"],
                  examples=[Example(id=f"twitter:{i}", text=f"Slotlaan dicht, omleiding onduidelijk {i}",
                                    channel="twitter", created_at="2026-03-03T14:05:00Z", sentiment="negative")
                            for i in range(4)],
                  link=dashboard_link("", topic, scope, START, end), updated_at=START, severity="alarm",
                  band=[0.3, 8.5])
    return AlertEvent(kind, alert, START + timedelta(minutes=17))


def _dispatcher(url: str, kind: str, **options: Any) -> AlertDispatcher:
    routing = {"events": ["opened", "updated", "closed"]}
    routing.update({k: v for k, v in options.items() if k in ("topics", "events", "headers")})
    target = NotifyTarget(name=kind, kind=kind, url=f"{url}/{kind}", timeout=5, **routing)
    config = NotifyConfig(targets=[target], max_attempts=options.get("attempts", 3), backoff_seconds=0.05,
                          backoff_max_seconds=0.2, dashboard_url=BASE)
    return AlertDispatcher(config)


def test_generic_webhook_payload(server: tuple[str, Recorder]) -> None:
    url, recorder = server
    dispatcher = _dispatcher(url, "webhook", headers={"Authorization": "Bearer t0ken"})
    assert dispatcher.submit([_event()]) == 1
    assert dispatcher.flush(10)
    dispatcher.close()
    (request,) = recorder.requests
    assert request["path"] == "/webhook" and request["headers"]["Authorization"] == "Bearer t0ken"
    body = request["body"]
    assert body["kind"] == "opened" and body["source"] == "stadssignaal" and body["at"] == "2026-03-03T14:17:00Z"
    alert = body["alert"]
    assert {"topic", "scope", "start", "end", "observed", "expected", "examples", "new_terms", "link"} <= set(alert)
    assert alert["link"].startswith(BASE + "/?topic=verkeer&place=Centrum")
    assert len(alert["examples"]) == 4 and alert["end"] is None


def test_teams_adaptive_card(server: tuple[str, Recorder]) -> None:
    url, recorder = server
    dispatcher = _dispatcher(url, "teams")
    dispatcher.submit([_event("closed")])
    assert dispatcher.flush(10)
    dispatcher.close()
    body = recorder.requests[0]["body"]
    assert body["type"] == "message"
    attachment = body["attachments"][0]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    card = attachment["content"]
    assert card["type"] == "AdaptiveCard" and card["version"] == "1.4"
    assert card["body"][0]["type"] == "TextBlock" and "Piek voorbij" in card["body"][0]["text"]
    facts = {f["title"]: f["value"] for f in card["body"][1]["facts"]}
    assert facts["Onderwerp"] == "verkeer" and facts["Gezien / normaal"].startswith("35 / 3.9")
    assert facts["Tot"] != "loopt nog"
    assert facts["Ernst"] == "alarm" and facts["Gebruikelijk"] == "0,3 tot 8,5"
    assert any("Slotlaan dicht" in block.get("text", "") for block in card["body"][2:])
    assert card["actions"][0]["type"] == "Action.OpenUrl" and card["actions"][0]["url"].startswith(BASE)


@pytest.mark.parametrize("kind", ["slack", "mattermost"])
def test_slack_and_mattermost_attachment(server: tuple[str, Recorder], kind: str) -> None:
    url, recorder = server
    dispatcher = _dispatcher(url, kind)
    dispatcher.submit([_event()])
    assert dispatcher.flush(10)
    dispatcher.close()
    body = recorder.requests[0]["body"]
    assert body["text"].startswith("Nieuwe piek: verkeer (wijk Centrum)")
    attachment = body["attachments"][0]
    assert attachment["title_link"].startswith(BASE) and attachment["color"].startswith("#")
    assert attachment["fallback"] and "> [twitter] Slotlaan dicht" in attachment["text"]
    titles = [f["title"] for f in attachment["fields"]]
    assert {"Onderwerp", "Bereik", "Gezien / normaal", "Sinds", "Nieuwe woorden"} <= set(titles)


def test_retries_on_500_then_succeeds(server: tuple[str, Recorder], caplog: pytest.LogCaptureFixture) -> None:
    url, recorder = server
    recorder.statuses = [500, 503, 200]
    dispatcher = _dispatcher(url, "webhook", attempts=4)
    dispatcher.submit([_event()])
    assert dispatcher.flush(10)
    dispatcher.close()
    assert len(recorder.requests) == 3
    assert recorder.requests[0]["body"] == recorder.requests[2]["body"]
    assert dispatcher.stats["retried"] == 2 and dispatcher.stats["sent"] == 1 and dispatcher.stats["failed"] == 0
    assert "HTTP 500" in caplog.text and "retrying" in caplog.text


def test_failure_is_logged_never_raised(server: tuple[str, Recorder], caplog: pytest.LogCaptureFixture) -> None:
    url, recorder = server
    recorder.statuses = [500]
    caplog.set_level(logging.WARNING)
    dispatcher = _dispatcher(url, "webhook", attempts=3)
    dispatcher.submit([_event()])
    assert dispatcher.flush(10)
    assert len(recorder.requests) == 3 and dispatcher.stats["failed"] == 1
    assert "giving up" in caplog.text
    refused = _dispatcher("http://127.0.0.1:9", "slack", attempts=2)   # nothing listens on port 9
    refused.submit([_event()])
    assert refused.flush(10) and refused.stats["failed"] == 1 and "cannot reach" in caplog.text
    dispatcher.close()
    refused.close()


def test_client_errors_are_not_retried(server: tuple[str, Recorder]) -> None:
    url, recorder = server
    recorder.statuses = [400]
    dispatcher = _dispatcher(url, "teams", attempts=5)
    dispatcher.submit([_event()])
    assert dispatcher.flush(10)
    dispatcher.close()
    assert len(recorder.requests) == 1 and dispatcher.stats["failed"] == 1 and dispatcher.stats["retried"] == 0


def test_submit_does_not_wait_for_the_server(server: tuple[str, Recorder]) -> None:
    url, recorder = server
    recorder.release.clear()                 # the server holds every request until released
    dispatcher = _dispatcher(url, "webhook")
    queued = dispatcher.submit([_event(), _event("closed")])
    assert queued == 2 and recorder.requests == []  # submit returned while the first delivery is still blocked
    recorder.release.set()
    assert dispatcher.flush(10)
    dispatcher.close()
    assert [r["body"]["kind"] for r in recorder.requests] == ["opened", "closed"]


def test_routing_per_topic_and_event(server: tuple[str, Recorder]) -> None:
    url, recorder = server
    dispatcher = _dispatcher(url, "webhook", topics=["afval"], events=["opened"])
    assert dispatcher.submit([_event("opened", "verkeer"), _event("closed", "afval"), _event("opened", "afval")]) == 1
    assert dispatcher.flush(10)
    dispatcher.close()
    assert [(r["body"]["kind"], r["body"]["alert"]["topic"]) for r in recorder.requests] == [("opened", "afval")]


def test_settings_with_a_bad_target_keep_the_good_ones(caplog: pytest.LogCaptureFixture) -> None:
    config = NotifyConfig.from_mapping({
        "backoff_seconds": 1.5,
        "targets": [
            {"kind": "teams", "url": "https://example.org/hook", "topics": ["verkeer"]},
            {"kind": "pager", "url": "https://example.org/x"},
            {"kind": "slack", "url": "ftp://nope"},
            {"kind": "email", "recipients": []},
            "not a table",
        ],
    })
    assert [t.kind for t in config.targets] == ["teams"] and config.backoff_seconds == 1.5
    assert config.targets[0].wants("verkeer", "opened") and not config.targets[0].wants("afval", "opened")
    assert caplog.text.count("this target is skipped") == 4
