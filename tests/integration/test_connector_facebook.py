"""Facebook page connector against a local fake Graph API: paging, edits, deletions, errors, rate limits."""
from __future__ import annotations

import threading
from pathlib import Path
from typing import Any, Iterator

import pytest

from fakes.clock import FakeClock
from fakes.facebook_api import PAGE_ID, VERSION, FakeFacebook, Reply, graph_error
from pipeline.core.signal import SourceBatch
from pipeline.sources.connectors.facebook import DELETED_TEXT, FacebookPageSource
from pipeline.sources.connectors.settings import FacebookSettings
from pipeline.sources.connectors.status import StatusRecorder, read_status

FEED = f"/{VERSION}/{PAGE_ID}/feed"


@pytest.fixture
def fake() -> Iterator[FakeFacebook]:
    """A running fake Graph API."""
    with FakeFacebook() as server:
        yield server


def settings_for(fake: FakeFacebook, **extra: Any) -> FacebookSettings:
    """Settings pointing at the fake page, with small pages so paging is exercised."""
    values: dict[str, Any] = {"page_id": PAGE_ID, "page_token": "page-token", "api_base": fake.url,
                              "api_version": VERSION, "page_size": 2, "request_timeout_seconds": 5}
    values.update(extra)
    return FacebookSettings(**values)


def poll(fake: FakeFacebook, cursor: dict[str, Any] | None = None, clock: FakeClock | None = None,
         status: Any = None, **extra: Any) -> list[SourceBatch]:
    """One complete poll."""
    source = FacebookPageSource(settings_for(fake, **extra), status=status, once=True, clock=clock or FakeClock())
    return list(source.batches(cursor, threading.Event()))


def signals_by_id(batches: list[SourceBatch]) -> dict[str, Any]:
    """The signals yielded, by id (the last one wins)."""
    return {s.id: s for b in batches for s in b.signals}


def test_posts_comments_and_replies_are_paged_and_mapped(fake: FakeFacebook) -> None:
    fake.add_post("1234_1", "Vanaf maandag werkzaamheden op de Slotlaan.")
    fake.add_post("1234_2", "Bericht van een bewoner op de tijdlijn", by_page=False)
    fake.add_post("1234_3", "Het afvalcentrum is zaterdag gesloten.")
    for n in range(1, 6):
        fake.add_comment("1234_1", f"1_c{n}", f"reactie {n} over de omleiding")
    fake.add_comment("1234_1", "1_r1", "We sturen het door naar de aannemer.", author_id=PAGE_ID, parent="1_c2")
    batches = poll(fake)
    signals = signals_by_id(batches)
    assert set(signals) == {"facebook:1234_1", "facebook:1234_2", "facebook:1234_3", "facebook:1_r1",
                            *(f"facebook:1_c{n}" for n in range(1, 6))}
    comment_calls = fake.calls(f"/{VERSION}/1234_1/comments")
    assert len(comment_calls) == 3 and comment_calls[1]["after"] == ["c2"]  # 6 comments, pages of 2
    assert comment_calls[0]["filter"] == ["stream"]
    assert len(fake.calls(FEED)) == 2
    assert signals["facebook:1234_1"].meta["own_post"] is True
    assert signals["facebook:1234_2"].meta["own_post"] is False
    assert signals["facebook:1_c2"].meta == {"kind": "comment", "post_id": "facebook:1234_1",
                                             "reply_to": "facebook:1234_1", "own_post": False,
                                             "replied_by_municipality": True}
    assert signals["facebook:1_c1"].meta["replied_by_municipality"] is False
    reply = signals["facebook:1_r1"]
    assert reply.meta["kind"] == "reply" and reply.meta["reply_to"] == "facebook:1_c2" and reply.meta["own_post"]
    assert reply.created_at.tzinfo is not None and reply.url == "https://www.facebook.com/1_r1"
    assert all("access_token" not in (s.url or "") for s in signals.values())


def test_second_poll_emits_only_edits_new_and_deleted(fake: FakeFacebook) -> None:
    fake.add_post("1234_1", "Nieuwe parkeerregels in het centrum.")
    fake.add_comment("1234_1", "c1", "Belachelijk, waar moet ik nu parkeren?")
    fake.add_comment("1234_1", "c2", "Eindelijk!")
    fake.add_comment("1234_1", "c3", "Wat kost een vergunning?")
    fake.add_comment("1234_1", "c4", "Dit is spam")
    clock = FakeClock()
    first = poll(fake, clock=clock)
    assert len(signals_by_id(first)) == 5
    fake.edit_comment("1234_1", "c1", message="Belachelijk, waar moet ik nu parkeren?? Geen plek meer")
    fake.delete_comment("1234_1", "c2")
    fake.edit_comment("1234_1", "c4", is_hidden=True)
    fake.add_comment("1234_1", "c5", "Geldt dit ook voor bewoners?")
    second = poll(fake, first[-1].cursor, clock=clock)
    signals = signals_by_id(second)
    assert set(signals) == {"facebook:c1", "facebook:c2", "facebook:c4", "facebook:c5"}
    assert signals["facebook:c1"].text.endswith("Geen plek meer") and signals["facebook:c1"].meta["edited"] is True
    assert signals["facebook:c2"].meta["deleted"] is True and signals["facebook:c2"].text == DELETED_TEXT
    assert signals["facebook:c4"].meta["deleted"] is True and signals["facebook:c4"].meta["hidden"] is True
    assert "edited" not in signals["facebook:c5"].meta and "deleted" not in signals["facebook:c5"].meta
    third = poll(fake, second[-1].cursor, clock=clock)
    assert signals_by_id(third) == {}  # nothing changed: nothing re-emitted


def test_municipality_reply_later_updates_the_comment(fake: FakeFacebook) -> None:
    fake.add_post("1234_1", "Zondag is de markt verplaatst.")
    fake.add_comment("1234_1", "c1", "Waarheen dan?")
    first = poll(fake)
    assert signals_by_id(first)["facebook:c1"].meta["replied_by_municipality"] is False
    fake.add_comment("1234_1", "r1", "Naar het Emmaplein.", author_id=PAGE_ID, parent="c1")
    second = signals_by_id(poll(fake, first[-1].cursor))
    assert second["facebook:c1"].meta["replied_by_municipality"] is True
    assert "edited" in second["facebook:c1"].meta and second["facebook:r1"].meta["own_post"] is True


def test_removed_post_marks_post_and_comments_deleted(fake: FakeFacebook) -> None:
    fake.add_post("1234_1", "Oud bericht")
    fake.add_comment("1234_1", "c1", "reactie")
    first = poll(fake)
    fake.posts.clear()
    second = signals_by_id(poll(fake, first[-1].cursor))
    assert set(second) == {"facebook:1234_1", "facebook:c1"}
    assert all(s.meta["deleted"] is True for s in second.values())


def test_restart_mid_poll_has_no_gap_and_no_duplicate(fake: FakeFacebook) -> None:
    for p in range(1, 5):
        fake.add_post(f"1234_{p}", f"bericht {p}", age=3600 * p)
        for c in range(1, 4):
            fake.add_comment(f"1234_{p}", f"p{p}c{c}", f"reactie {c} op bericht {p}")
    stop = threading.Event()
    first: list[SourceBatch] = []
    source = FacebookPageSource(settings_for(fake), clock=FakeClock())
    for batch in source.batches(None, stop):
        first.append(batch)
        if len([b for b in first if b.signals]) == 2:
            stop.set()  # stopped after two of the four posts
    second = poll(fake, first[-1].cursor)
    seen = [s.id for b in first + second for s in b.signals]
    assert len(seen) == len(set(seen)) == 16


def test_expired_token_is_reported_without_crashing(fake: FakeFacebook, store_path: Path) -> None:
    fake.add_post("1234_1", "bericht")
    recorder = StatusRecorder(store_path)
    stop = threading.Event()
    source = FacebookPageSource(settings_for(fake, page_token="EAAB-secret-123"), status=recorder, clock=FakeClock())
    for count, _ in enumerate(source.batches(None, stop), start=1):
        if count == 20:
            stop.set()
    assert len(fake.requests) == 1
    (row,) = read_status(store_path)
    assert row.state == "error"
    assert row.last_error.startswith("Facebook rejected the page access token (expired or invalidated)")
    assert "Session has expired" in row.last_error and "EAAB-secret-123" not in row.last_error


def test_missing_permission_is_named(fake: FakeFacebook, store_path: Path) -> None:
    fake.script(FEED, graph_error(10, "(#10) This endpoint requires the 'pages_read_engagement' permission",
                                  status=403))
    recorder = StatusRecorder(store_path)
    assert poll(fake, status=recorder) == []
    (row,) = read_status(store_path)
    assert "lacks a permission" in row.last_error and "pages_read_engagement" in row.last_error


def test_rate_limit_code_waits_then_continues(fake: FakeFacebook, store_path: Path) -> None:
    fake.add_post("1234_1", "bericht")
    fake.script(FEED, graph_error(32, "Page request limit reached", kind="OAuthException"))
    clock = FakeClock()
    batches = poll(fake, clock=clock, status=StatusRecorder(store_path), rate_limit_wait_seconds=120)
    assert "facebook:1234_1" in signals_by_id(batches)
    assert clock.waited == pytest.approx(120)
    (row,) = read_status(store_path)
    assert "rate limit" in row.last_error and row.state == "ok"


def test_high_usage_header_slows_down(fake: FakeFacebook) -> None:
    fake.add_post("1234_1", "bericht")
    fake.usage = {"call_count": 95, "total_cputime": 10, "total_time": 12}
    clock = FakeClock()
    poll(fake, clock=clock, rate_limit_wait_seconds=30)
    assert clock.waited == pytest.approx(30)  # the comments request waited after the busy feed response


def test_server_error_and_malformed_json_then_success(fake: FakeFacebook) -> None:
    fake.add_post("1234_1", "bericht")
    fake.script(FEED, Reply(500, {"error": {"message": "An unknown error has occurred.", "code": 1,
                                            "type": "OAuthException"}}), Reply(200, "{'data': oops"))
    clock = FakeClock()
    batches = poll(fake, clock=clock, backoff_initial_seconds=3)
    dead = [d for b in batches for d in b.dead]
    assert len(dead) == 1 and "malformed JSON" in dead[0].reason and dead[0].raw == "{'data': oops"
    assert "facebook:1234_1" in signals_by_id(batches)
    assert clock.waited == pytest.approx(3 + 6)
