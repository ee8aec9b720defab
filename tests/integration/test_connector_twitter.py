"""Twitter/X connectors against a local fake API: paging, rate limits, failures, resumption, stream reconnects."""
from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any, Iterator

import pytest

from fakes.clock import FakeClock
from fakes.twitter_api import RULES, SEARCH, STREAM, FakeTwitter, Reply, make_tweet
from pipeline.core.signal import SourceBatch
from pipeline.sources.connectors.http_client import build_client
from pipeline.sources.connectors.settings import StreamRule, TwitterSettings
from pipeline.sources.connectors.status import StatusRecorder, read_status
from pipeline.sources.connectors.twitter import TwitterSearchSource, TwitterStreamSource, build_query, sync_rules


@pytest.fixture
def fake() -> Iterator[FakeTwitter]:
    """A running fake Twitter/X API."""
    with FakeTwitter() as server:
        yield server


def settings_for(fake: FakeTwitter, **extra: Any) -> TwitterSettings:
    """Settings pointing at the fake, searching for Zeist, the municipality's account id 200."""
    values: dict[str, Any] = {"bearer_token": "good-token", "api_base": fake.url, "municipality": "Zeist",
                              "handles": ["gemeentezeist"], "hashtags": ["zeist"], "own_account_id": "200",
                              "max_results": 10, "poll_interval_seconds": 30, "request_timeout_seconds": 5}
    values.update(extra)
    return TwitterSettings(**values)


def add_tweets(fake: FakeTwitter, first: int, last: int) -> None:
    """Tweets with ids first..last by a resident."""
    fake.tweets.extend(make_tweet(i, f"tweet {i} over de gemeente Zeist") for i in range(first, last + 1))


def ids_of(batches: list[SourceBatch]) -> list[str]:
    """Signal ids in the order yielded."""
    return [s.id for b in batches for s in b.signals]


def run_once(source: TwitterSearchSource, cursor: dict[str, Any] | None = None) -> list[SourceBatch]:
    """Run a single poll to the end."""
    return list(source.batches(cursor, threading.Event()))


def test_query_from_name_handles_and_hashtags() -> None:
    settings = TwitterSettings(municipality="Zeist", handles=["@gemeentezeist"], hashtags=["#zeist"],
                               extra_terms=["Den Dolder"])
    assert build_query(settings) == '(Zeist OR @gemeentezeist OR to:gemeentezeist OR #zeist OR "Den Dolder") -is:retweet'
    with pytest.raises(ValueError, match="nothing to search for"):
        build_query(TwitterSettings())
    with pytest.raises(ValueError, match="512"):
        build_query(TwitterSettings(extra_terms=[f"straat{i}" for i in range(100)]))


def test_search_pages_with_next_token_and_maps_expansions(fake: FakeTwitter) -> None:
    add_tweets(fake, 1, 22)
    fake.tweets.append(make_tweet(23, "Wegwerkzaamheden Slotlaan, wie weet meer?", author_id="100",
                                  geo={"place_id": "pl1"}, in_reply_to_user_id="200",
                                  referenced_tweets=[{"type": "replied_to", "id": "5"}]))
    fake.tweets.append(make_tweet(24, "@bewoner_a We kijken ernaar!", author_id="200", in_reply_to_user_id="100",
                                  referenced_tweets=[{"type": "replied_to", "id": "23"}]))
    batches = run_once(TwitterSearchSource(settings_for(fake), once=True, clock=FakeClock()))
    assert ids_of(batches) == [f"twitter:{i}" for i in range(24, 0, -1)]
    calls = fake.calls(SEARCH)
    assert len(calls) == 3 and "next_token" not in calls[0]
    assert calls[1]["next_token"] == ["nt-15-0"] and calls[2]["next_token"] == ["nt-5-0"]
    assert [b.cursor["pending_next_token"] for b in batches] == ["nt-15-0", "nt-5-0", None]
    assert batches[-1].cursor["since_id"] == "24"
    signals = {s.id: s for b in batches for s in b.signals}
    complaint = signals["twitter:23"]
    assert complaint.author == "bewoner_a" and complaint.url == "https://x.com/i/status/23"
    assert complaint.meta["place"] == "Zeist, Nederland" and complaint.meta["lang"] == "nl"
    assert complaint.meta["reply_to"] == "twitter:5" and complaint.meta["reply_to_municipality"] is True
    assert complaint.meta["replied_by_municipality"] is True and complaint.meta["own_post"] is False
    answer = signals["twitter:24"]
    assert answer.author == "gemeentezeist" and answer.meta["own_post"] is True
    assert "replied_by_municipality" not in signals["twitter:22"].meta


def test_429_waits_until_the_reset_then_continues(fake: FakeTwitter, store_path: Path) -> None:
    add_tweets(fake, 1, 3)
    clock = FakeClock()
    fake.script(SEARCH, Reply(429, {"title": "Too Many Requests", "detail": "Too Many Requests"},
                              {"x-rate-limit-remaining": "0", "x-rate-limit-reset": str(int(clock.now) + 2)}))
    recorder = StatusRecorder(store_path)
    batches = run_once(TwitterSearchSource(settings_for(fake), status=recorder, once=True, clock=clock))
    assert ids_of(batches) == ["twitter:3", "twitter:2", "twitter:1"]
    assert 1.0 <= clock.waited <= 3.0
    heartbeats = [b for b in batches if not b.signals and not b.dead]
    assert len(heartbeats) >= 2  # the wait keeps the runner informed
    (row,) = read_status(store_path)
    assert "rate limit" in row.last_error and row.signals == 3 and row.state == "ok"


def test_quota_exhausted_header_delays_the_next_page(fake: FakeTwitter) -> None:
    add_tweets(fake, 1, 15)
    clock = FakeClock()
    fake.remaining = 1  # the first page leaves 0 requests: the source must wait for the reset (capped)
    settings = settings_for(fake, rate_limit_max_wait_seconds=7)
    batches = run_once(TwitterSearchSource(settings, once=True, clock=clock))
    assert len(ids_of(batches)) == 15
    assert clock.waited == pytest.approx(7.0)


def test_server_error_backs_off_then_succeeds(fake: FakeTwitter, store_path: Path) -> None:
    add_tweets(fake, 1, 2)
    fake.script(SEARCH, Reply(503, {"title": "Service Unavailable"}), Reply(500, "oops"))
    clock = FakeClock()
    recorder = StatusRecorder(store_path)
    source = TwitterSearchSource(settings_for(fake, backoff_initial_seconds=2), status=recorder, once=True, clock=clock)
    batches = run_once(source)
    assert ids_of(batches) == ["twitter:2", "twitter:1"]
    assert clock.waited == pytest.approx(2 + 4)  # exponential backoff
    (row,) = read_status(store_path)
    assert row.errors == 2 and "server error 500" in row.last_error


def test_malformed_json_becomes_a_dead_letter_and_the_poll_continues(fake: FakeTwitter) -> None:
    add_tweets(fake, 1, 2)
    fake.script(SEARCH, Reply(200, '{"data": [{"id": "1", "text": '))
    fake.tweets.append({"id": "3", "text": "geen datum"})  # a tweet without created_at: one dead letter
    batches = run_once(TwitterSearchSource(settings_for(fake), once=True, clock=FakeClock()))
    dead = [d for b in batches for d in b.dead]
    assert len(dead) == 2
    assert "malformed JSON" in dead[0].reason and dead[0].raw.startswith('{"data"')
    assert "created_at" in dead[1].reason and '"3"' in dead[1].raw
    assert ids_of(batches) == ["twitter:2", "twitter:1"]


def test_expired_token_is_reported_and_not_retried(fake: FakeTwitter, store_path: Path) -> None:
    add_tweets(fake, 1, 2)
    recorder = StatusRecorder(store_path)
    source = TwitterSearchSource(settings_for(fake, bearer_token="AAAA-secret-42"), status=recorder, clock=FakeClock())
    stop = threading.Event()
    batches = []
    for batch in source.batches(None, stop):  # not `once`: it must idle, not crash or hammer
        batches.append(batch)
        if len(batches) == 40:
            stop.set()
    assert len(fake.calls(SEARCH)) == 1
    assert not ids_of(batches)
    (row,) = read_status(store_path)
    assert row.state == "error"
    assert row.last_error.startswith("Twitter/X rejected the bearer token (expired or revoked)")
    assert "AAAA-secret-42" not in row.last_error  # the token itself is never echoed


def test_restart_resumes_without_gap_or_duplicate(fake: FakeTwitter) -> None:
    add_tweets(fake, 1, 25)
    clock = FakeClock()
    stop = threading.Event()
    first_run: list[SourceBatch] = []
    for batch in TwitterSearchSource(settings_for(fake), clock=clock).batches(None, stop):
        first_run.append(batch)
        if len(first_run) == 2:
            stop.set()  # killed after two of the three pages of the first poll
    cursor = first_run[-1].cursor
    assert cursor["pending_next_token"] and cursor["since_id"] is None
    add_tweets(fake, 26, 30)  # tweets that arrive while the connector is down
    second_run = run_once(TwitterSearchSource(settings_for(fake), once=True, clock=clock), cursor)
    cursor = second_run[-1].cursor
    assert cursor == {"since_id": "25", "pending_next_token": None, "poll_newest_id": None}
    third_run = run_once(TwitterSearchSource(settings_for(fake), once=True, clock=clock), cursor)
    seen = ids_of(first_run) + ids_of(second_run) + ids_of(third_run)
    assert len(seen) == len(set(seen))
    assert sorted(seen) == sorted(f"twitter:{i}" for i in range(1, 31))
    assert ids_of(third_run) == [f"twitter:{i}" for i in range(30, 25, -1)]


def test_rejected_next_token_restarts_the_poll_from_since_id(fake: FakeTwitter) -> None:
    add_tweets(fake, 1, 12)
    cursor = {"since_id": "3", "pending_next_token": "stale-token", "poll_newest_id": "12"}
    batches = run_once(TwitterSearchSource(settings_for(fake), once=True, clock=FakeClock()), cursor)
    assert sorted(ids_of(batches)) == sorted(f"twitter:{i}" for i in range(4, 13))
    assert batches[-1].cursor["since_id"] == "12"


def stream_line(tweet: dict[str, Any], tag: str = "zeist") -> str:
    """One line of the filtered stream."""
    return json.dumps({"data": tweet, "includes": {"users": [{"id": "100", "username": "bewoner_a"}]},
                       "matching_rules": [{"id": "9000", "tag": tag}]})


def test_stream_reconnects_after_the_server_drops_the_connection(fake: FakeTwitter, store_path: Path) -> None:
    fake.stream_sessions = [
        [stream_line(make_tweet(1, "eerste")), "", stream_line(make_tweet(2, "tweede"))],
        ["", stream_line(make_tweet(3, "derde")), "{broken", stream_line(make_tweet(4, "vierde"))],
    ]
    clock = FakeClock()
    recorder = StatusRecorder(store_path)
    source = TwitterStreamSource(settings_for(fake), status=recorder, clock=clock)
    stop = threading.Event()
    batches: list[SourceBatch] = []
    deadline = time.monotonic() + 10
    for batch in source.batches(None, stop):
        batches.append(batch)
        if len(ids_of(batches)) >= 4 or time.monotonic() > deadline:
            stop.set()
    assert ids_of(batches) == ["twitter:1", "twitter:2", "twitter:3", "twitter:4"]
    signal = batches[-1].signals[-1]
    assert signal.author == "bewoner_a" and signal.meta["matching_rules"] == ["zeist"]
    dead = [d for b in batches for d in b.dead]
    assert len(dead) == 1 and "malformed JSON" in dead[0].reason and dead[0].raw == "{broken"
    assert len(fake.calls(STREAM)) == 2
    assert clock.waits and clock.waits[0] == pytest.approx(0.25)  # first reconnect after a short backoff
    assert batches[-1].cursor["last_id"] == "4"
    (row,) = read_status(store_path)
    assert row.signals == 4 and "closed by the server" in row.last_error


def test_stream_stop_is_honoured_while_only_keepalives_arrive(fake: FakeTwitter) -> None:
    source = TwitterStreamSource(settings_for(fake), clock=FakeClock())
    stop = threading.Event()
    count = 0
    started = time.monotonic()
    for batch in source.batches(None, stop):
        assert not batch.signals
        count += 1
        if count == 3:
            stop.set()
    assert count == 3 and time.monotonic() - started < 5


def test_stream_401_is_reported_and_not_retried(fake: FakeTwitter, store_path: Path) -> None:
    recorder = StatusRecorder(store_path)
    source = TwitterStreamSource(settings_for(fake, bearer_token="expired"), status=recorder, clock=FakeClock())
    stop = threading.Event()
    for count, _batch in enumerate(source.batches(None, stop), start=1):
        if count == 10:
            stop.set()
    assert len(fake.calls(STREAM)) == 1
    (row,) = read_status(store_path)
    assert "rejected the bearer token" in row.last_error


def test_rules_sync_adds_missing_and_deletes_stale(fake: FakeTwitter) -> None:
    fake.rules = [{"id": "1", "value": "oud OR regel", "tag": "oud"}, {"id": "2", "value": "zeist", "tag": "stad"}]
    wanted = [StreamRule(value="zeist", tag="stad"), StreamRule(value="#zeist -is:retweet", tag="hashtag")]
    with build_client(fake.url, "good-token", 5) as client:
        result = sync_rules(client, wanted, FakeClock(), 60)
    assert result == {"added": 1, "deleted": 1}
    assert sorted((r["value"], r["tag"]) for r in fake.rules) == [("#zeist -is:retweet", "hashtag"), ("zeist", "stad")]
    posts = [q for (m, p, q) in fake.requests if m == "POST" and p == RULES]
    assert len(posts) == 2
