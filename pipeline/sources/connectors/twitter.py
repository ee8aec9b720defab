"""Twitter/X API v2 connectors: recent search (polled, resumable) and the filtered stream (reconnecting).

Resumption of recent search: the API returns the newest tweets first and pages towards older ones.
Pages are yielded as they arrive; while a poll is under way the cursor keeps the *old* `since_id` and the
`pending_next_token` of the next page, so a restart continues with the remaining older pages of the same
query (no gap, nothing re-yielded). Only after the last page is `since_id` moved to the poll's newest id.
If the platform rejects a stale `next_token`, the poll starts again from `since_id`: tweets may then be
yielded twice, which the store absorbs because signal ids are upserted.
"""
from __future__ import annotations

import json
import logging
import queue
import threading
from typing import Any, Iterator

import httpx

from pipeline.core.retry import Backoff
from pipeline.core.signal import DeadLetter, InvalidSignal, RawSignal, SourceBatch, validate
from pipeline.enrich.pii.boundary import dead_letter
from pipeline.sources.connectors.http_client import (
    AuthFailure,
    Clock,
    ConnectorError,
    MalformedResponse,
    NullStatus,
    PermanentFailure,
    PollPolicy,
    RateLimited,
    StatusSink,
    TransientFailure,
    body_preview,
    build_client,
    decode_json,
    poll_forever,
    seconds_until,
    send,
    wait_with_heartbeats,
)
from pipeline.sources.connectors.settings import TwitterSettings

log = logging.getLogger(__name__)

SEARCH_PATH = "/2/tweets/search/recent"
STREAM_PATH = "/2/tweets/search/stream"
RULES_PATH = "/2/tweets/search/stream/rules"
TWEET_FIELDS = "created_at,lang,author_id,conversation_id,in_reply_to_user_id,referenced_tweets,geo,note_tweet"
EXPANSIONS = "author_id,referenced_tweets.id,geo.place_id,in_reply_to_user_id"
USER_FIELDS = "username"
PLACE_FIELDS = "full_name,country_code"
MAX_QUERY_CHARS = 512
DEFAULT_429_WAIT = 60.0
STREAM_DRAIN_LINES = 200
HEARTBEAT_SECONDS = 0.5


def build_query(settings: TwitterSettings) -> str:
    """The recent-search query: the explicit `query`, or name OR @handles OR to:handles OR #hashtags OR terms.

    Raises ValueError when there is nothing to search for or the query is longer than the API allows.
    """
    if settings.query.strip():
        query = settings.query.strip()
    else:
        terms: list[str] = []
        if settings.municipality.strip():
            name = settings.municipality.strip()
            terms.append(f'"{name}"' if " " in name else name)
        for handle in settings.handles:
            terms.extend([f"@{handle}", f"to:{handle}"])
        terms.extend(f"#{tag}" for tag in settings.hashtags)
        terms.extend(f'"{t}"' if " " in t else t for t in (t.strip() for t in settings.extra_terms) if t)
        if not terms:
            raise ValueError("twitter: nothing to search for; set municipality, handles, hashtags or query")
        query = "(" + " OR ".join(terms) + ")" if len(terms) > 1 else terms[0]
        if settings.exclude_retweets:
            query += " -is:retweet"
    if len(query) > MAX_QUERY_CHARS:
        raise ValueError(f"twitter: the query is {len(query)} characters, the API allows {MAX_QUERY_CHARS}: {query[:80]}...")
    return query


def expansion_params() -> dict[str, str]:
    """The fields and expansions every tweet request asks for."""
    return {"tweet.fields": TWEET_FIELDS, "expansions": EXPANSIONS, "user.fields": USER_FIELDS,
            "place.fields": PLACE_FIELDS}


def id_number(tweet_id: Any) -> int:
    """A tweet id as an integer for ordering (ids are decimal strings); -1 when it is not one."""
    try:
        return int(str(tweet_id))
    except ValueError:
        return -1


def newer_id(first: str | None, second: str | None) -> str | None:
    """The larger of two tweet ids (either may be None)."""
    if first is None:
        return second
    if second is None:
        return first
    return first if id_number(first) >= id_number(second) else second


def _by_id(items: Any, value_key: str) -> dict[str, Any]:
    """Index expansion objects by id, keeping one field."""
    if not isinstance(items, list):
        return {}
    return {str(i["id"]): i.get(value_key) for i in items if isinstance(i, dict) and "id" in i}


def _replied_to(tweet: dict[str, Any]) -> str | None:
    """The id of the tweet this tweet replies to, if any."""
    for ref in tweet.get("referenced_tweets") or []:
        if isinstance(ref, dict) and ref.get("type") == "replied_to" and ref.get("id"):
            return str(ref["id"])
    return None


def tweet_signal(tweet: Any, users: dict[str, Any], places: dict[str, Any], own_account_id: str,
                 replied_by_own: set[str], matching_tags: list[str] | None = None) -> RawSignal:
    """Map one tweet (with the page's expansions) onto a twitter RawSignal, or raise InvalidSignal."""
    if not isinstance(tweet, dict) or not tweet.get("id"):
        raise InvalidSignal("a tweet must be an object with an id")
    tweet_id = str(tweet["id"])
    note = tweet.get("note_tweet")
    text = note.get("text") if isinstance(note, dict) and note.get("text") else tweet.get("text")
    author_id = str(tweet.get("author_id") or "")
    meta: dict[str, Any] = {}
    if tweet.get("lang"):
        meta["lang"] = tweet["lang"]
    reply_to = _replied_to(tweet)
    if reply_to:
        meta["reply_to"] = f"twitter:{reply_to}"
    if tweet.get("in_reply_to_user_id"):
        meta["in_reply_to_user_id"] = str(tweet["in_reply_to_user_id"])
    if tweet.get("conversation_id"):
        meta["conversation_id"] = str(tweet["conversation_id"])
    place_id = (tweet.get("geo") or {}).get("place_id") if isinstance(tweet.get("geo"), dict) else None
    if place_id and places.get(str(place_id)):
        meta["place"] = places[str(place_id)]
    if own_account_id:
        meta["own_post"] = author_id == own_account_id
        meta["reply_to_municipality"] = str(tweet.get("in_reply_to_user_id") or "") == own_account_id
        if tweet_id in replied_by_own:
            meta["replied_by_municipality"] = True
    if matching_tags:
        meta["matching_rules"] = matching_tags
    obj = {"id": f"twitter:{tweet_id}", "channel": "twitter", "created_at": tweet.get("created_at") or "",
           "text": text if text is not None else "", "author": users.get(author_id) or author_id or None,
           "url": f"https://x.com/i/status/{tweet_id}", "meta": meta}
    return validate(obj)


def page_signals(body: dict[str, Any], source: str, position: str, own_account_id: str
                 ) -> tuple[list[RawSignal], list[DeadLetter]]:
    """The signals of one response page (`data` plus `includes`), bad tweets as dead letters."""
    data = body.get("data") or []
    if isinstance(data, dict):  # the stream delivers one tweet object per line
        data = [data]
    if not isinstance(data, list):
        return [], [dead_letter(source, position, "`data` is not a list of tweets", json.dumps(body)[:4096])]
    includes = body.get("includes") if isinstance(body.get("includes"), dict) else {}
    users = _by_id(includes.get("users"), "username")
    places = _by_id(includes.get("places"), "full_name")
    replied = {r for t in data if isinstance(t, dict) and own_account_id
               and str(t.get("author_id") or "") == own_account_id for r in [_replied_to(t)] if r}
    tags = [str(r.get("tag") or r.get("id")) for r in body.get("matching_rules") or [] if isinstance(r, dict)]
    signals: list[RawSignal] = []
    dead: list[DeadLetter] = []
    for tweet in data:
        try:
            signals.append(tweet_signal(tweet, users, places, own_account_id, replied, tags or None))
        except InvalidSignal as err:
            tid = tweet.get("id") if isinstance(tweet, dict) else None
            dead.append(dead_letter(source, f"{position} tweet {tid}", err.reason, json.dumps(tweet, default=str)))
    return signals, dead


def newest_epoch(signals: list[RawSignal]) -> float | None:
    """The creation time of the newest signal as epoch seconds, or None."""
    return max((s.created_at.timestamp() for s in signals), default=None)


def error_detail(response: httpx.Response) -> str:
    """The API's own words for a failed request (title/detail of the problem document), or the body start."""
    try:
        body = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        return body_preview(response.text)
    if isinstance(body, dict):
        parts = [str(body.get(k)) for k in ("title", "detail") if body.get(k)]
        errors = body.get("errors")
        if not parts and isinstance(errors, list) and errors and isinstance(errors[0], dict):
            parts = [str(errors[0].get("message") or errors[0].get("detail") or errors[0])]
        if parts:
            return ": ".join(parts)
    return body_preview(response.text)


def classify(response: httpx.Response, what: str, clock: Clock, cap: float) -> None:
    """Raise the ConnectorError a failed response means; return quietly for 2xx."""
    code = response.status_code
    if 200 <= code < 300:
        return
    detail = error_detail(response)
    if code == 401:
        raise AuthFailure(f"Twitter/X rejected the bearer token (expired or revoked): {detail}")
    if code == 403:
        raise AuthFailure(f"Twitter/X refused {what} (the app's access level or project does not allow it): {detail}")
    if code == 429:
        wait = seconds_until(response.headers.get("x-rate-limit-reset"), clock, DEFAULT_429_WAIT, cap)
        raise RateLimited(f"Twitter/X rate limit reached for {what} (HTTP 429)", wait)
    if code >= 500:
        raise TransientFailure(f"Twitter/X server error {code} for {what}: {detail}")
    raise PermanentFailure(f"Twitter/X rejected {what} with HTTP {code}: {detail}")


class TwitterSearchSource:
    """Polls recent search for the municipality's name, handles and hashtags; resumable by since_id/next_token."""

    def __init__(self, settings: TwitterSettings, status: StatusSink | None = None, once: bool = False,
                 clock: Clock | None = None, name: str = "twitter-search") -> None:
        """Configure from the [twitter] settings; `clock` and `status` are injectable."""
        self.settings = settings
        self.query = build_query(settings)
        self.name = name
        self.status = status or NullStatus()
        self.clock = clock or Clock()
        self.policy = PollPolicy(settings.poll_interval_seconds, settings.backoff_initial_seconds,
                                 settings.backoff_max_seconds, once=once)
        self._not_before = 0.0
        self._stop = threading.Event()

    def batches(self, cursor: dict[str, Any] | None, stop: threading.Event) -> Iterator[SourceBatch]:
        """Poll until `stop` (or once, with `once=True`), yielding each page as a batch."""
        self._stop = stop
        start = {"since_id": None, "pending_next_token": None, "poll_newest_id": None}
        start.update(cursor or {})
        with build_client(self.settings.api_base, self.settings.bearer_token,
                          self.settings.request_timeout_seconds) as client:
            self._client = client
            yield from poll_forever(self.name, self._poll, start, stop, self.policy, self.clock, self.status)

    def _respect_quota(self, cursor: dict[str, Any]) -> Iterator[SourceBatch]:
        """When the last response said no requests remain, wait (with heartbeats) until its reset."""
        wait = self._not_before - self.clock.time()
        if wait > 0:
            log.info("%s: rate-limit quota used up; waiting %.1f s for the reset", self.name, wait)
            yield from wait_with_heartbeats(self._stop, min(wait, self.settings.rate_limit_max_wait_seconds),
                                            cursor, self.clock)

    def _note_quota(self, response: httpx.Response) -> None:
        """Remember to pause when the response says no requests remain in this window."""
        if response.headers.get("x-rate-limit-remaining") == "0":
            wait = seconds_until(response.headers.get("x-rate-limit-reset"), self.clock, DEFAULT_429_WAIT,
                                 self.settings.rate_limit_max_wait_seconds)
            self._not_before = self.clock.time() + wait

    def _poll(self, cursor: dict[str, Any]) -> Iterator[SourceBatch]:
        """One poll: all pages newer than since_id (continuing a pending next_token), one batch per page."""
        since_id = cursor.get("since_id")
        token = cursor.get("pending_next_token")
        newest = cursor.get("poll_newest_id")
        for _page in range(self.settings.max_pages_per_poll):
            yield from self._respect_quota(cursor)
            if self._stop.is_set():
                return
            params: dict[str, Any] = {"query": self.query, "max_results": self.settings.max_results,
                                      **expansion_params()}
            if since_id:
                params["since_id"] = since_id
            if token:
                params["next_token"] = token
            response = send(self._client, "GET", SEARCH_PATH, params=params)
            self._note_quota(response)
            if response.status_code == 400 and token:
                log.warning("%s: the API rejected the pending next_token (%s); restarting the poll from since_id %s",
                            self.name, error_detail(response), since_id)
                cursor = {"since_id": since_id, "pending_next_token": None, "poll_newest_id": None}
                yield SourceBatch([], [], cursor)
                token, newest = None, None
                continue
            classify(response, "recent search", self.clock, self.settings.rate_limit_max_wait_seconds)
            body = decode_json(response, f"recent search since_id={since_id} next_token={token}")
            if not isinstance(body, dict):
                raise MalformedResponse("recent search returned JSON that is not an object", response.text,
                                        f"recent search next_token={token}")
            meta = body.get("meta") if isinstance(body.get("meta"), dict) else {}
            signals, dead = page_signals(body, self.name, f"search page next_token={token}",
                                         self.settings.own_account_id)
            if token is None:
                page_ids = [str(t.get("id")) for t in body.get("data") or [] if isinstance(t, dict) and t.get("id")]
                newest = newer_id(meta.get("newest_id"), max(page_ids, key=id_number, default=None))
            next_token = meta.get("next_token")
            if next_token:
                cursor = {"since_id": since_id, "pending_next_token": next_token, "poll_newest_id": newest}
            else:
                cursor = {"since_id": newer_id(since_id, newest), "pending_next_token": None, "poll_newest_id": None}
            self.status.polled(self.name, len(signals), len(dead), newest_epoch(signals))
            now = self.clock.monotonic()
            yield SourceBatch(signals, dead, cursor, received=[now] * len(signals))
            if not next_token:
                return
            token = next_token
        log.info("%s: %d pages read this poll; the rest follows in the next poll", self.name,
                 self.settings.max_pages_per_poll)


class TwitterStreamSource:
    """Reads the filtered stream (newline-delimited JSON, blank keep-alive lines) and reconnects with backoff.

    The stream cannot be rewound: the cursor only records the last tweet seen. `stream_backfill_minutes`
    (access levels that support it) asks the platform to re-send up to 5 minutes missed while disconnected.
    """

    def __init__(self, settings: TwitterSettings, status: StatusSink | None = None, clock: Clock | None = None,
                 name: str = "twitter-stream", network_backoff: Backoff | None = None) -> None:
        """Configure from the [twitter] settings; `clock` and `status` are injectable."""
        self.settings = settings
        self.name = name
        self.status = status or NullStatus()
        self.clock = clock or Clock()
        self.network_backoff = network_backoff or Backoff(initial=0.25, maximum=16.0)
        self.http_backoff = Backoff(initial=settings.backoff_initial_seconds, maximum=settings.backoff_max_seconds)
        self.connections = 0

    def _client(self) -> httpx.Client:
        """An HTTP client whose read timeout detects a stalled stream."""
        timeout = httpx.Timeout(self.settings.request_timeout_seconds, read=self.settings.stream_read_timeout_seconds,
                                connect=min(10.0, self.settings.request_timeout_seconds))
        client = build_client(self.settings.api_base, self.settings.bearer_token, self.settings.request_timeout_seconds)
        client.timeout = timeout
        return client

    def batches(self, cursor: dict[str, Any] | None, stop: threading.Event) -> Iterator[SourceBatch]:
        """Stay connected until `stop`, yielding tweets as they come and a heartbeat at least every 0.5 s."""
        cursor = dict(cursor or {})
        with self._client() as client:
            if self.settings.sync_stream_rules:
                try:
                    sync_rules(client, self.settings.stream_rules, self.clock, self.settings.rate_limit_max_wait_seconds)
                except ConnectorError as err:
                    log.error("%s: could not sync the stream rules: %s", self.name, err)
                    self.status.failed(self.name, f"could not sync the stream rules: {err}")
            while not stop.is_set():
                try:
                    for batch in self._read(client, cursor, stop):
                        cursor = batch.cursor
                        yield batch
                    if stop.is_set():
                        return
                    delay = self.network_backoff.next_delay()
                    message = "the stream was closed by the server"
                except PermanentFailure as err:
                    log.error("%s: %s; not reconnecting until restart", self.name, err)
                    self.status.failed(self.name, str(err))
                    yield from wait_with_heartbeats(stop, float("inf"), cursor, self.clock)
                    return
                except RateLimited as err:
                    delay, message = err.seconds, str(err)
                except MalformedResponse as err:
                    delay, message = self.http_backoff.next_delay(), str(err)
                except TransientFailure as err:
                    http_error = "server error" in str(err)
                    delay = self.http_backoff.next_delay() if http_error else self.network_backoff.next_delay()
                    message = str(err)
                log.warning("%s: %s; reconnecting in %.2f s", self.name, message, delay)
                self.status.failed(self.name, f"{message}; reconnecting")
                yield from wait_with_heartbeats(stop, delay, cursor, self.clock)

    def _read(self, client: httpx.Client, cursor: dict[str, Any], stop: threading.Event) -> Iterator[SourceBatch]:
        """One connection: read lines on a helper thread so `stop` is honoured while a read blocks."""
        params: dict[str, Any] = expansion_params()
        if self.settings.stream_backfill_minutes and self.connections:
            params["backfill_minutes"] = self.settings.stream_backfill_minutes
        self.connections += 1
        try:
            response = client.send(client.build_request("GET", STREAM_PATH, params=params), stream=True)
        except httpx.HTTPError as err:
            raise TransientFailure(f"could not connect to the stream: {type(err).__name__}: {err}") from None
        lines: queue.Queue[tuple[str, Any]] = queue.Queue(maxsize=10_000)
        try:
            if response.status_code != 200:
                response.read()
                classify(response, "the filtered stream", self.clock, self.settings.rate_limit_max_wait_seconds)
            self.status.polled(self.name)
            reader = threading.Thread(target=_pump_lines, args=(response, lines, stop), daemon=True,
                                      name=f"{self.name}-reader")
            reader.start()
            got_any = False
            while not stop.is_set():
                try:
                    kind, item = lines.get(timeout=HEARTBEAT_SECONDS)
                except queue.Empty:
                    yield SourceBatch([], [], dict(cursor))
                    continue
                if kind == "error":
                    raise TransientFailure(f"the stream connection failed: {item}")
                if kind == "end":
                    return
                if not got_any:
                    got_any = True
                    self.network_backoff.reset()
                    self.http_backoff.reset()
                batch_lines = [item]
                while len(batch_lines) < STREAM_DRAIN_LINES:
                    try:
                        more_kind, more = lines.get_nowait()
                    except queue.Empty:
                        break
                    if more_kind != "line":
                        lines.put((more_kind, more))
                        break
                    batch_lines.append(more)
                cursor = yield from self._emit(batch_lines, cursor)
        finally:
            response.close()

    def _emit(self, raw_lines: list[str], cursor: dict[str, Any]) -> Iterator[SourceBatch]:
        """Turn stream lines into one batch; blank lines are keep-alives, bad lines dead letters."""
        signals: list[RawSignal] = []
        dead: list[DeadLetter] = []
        for line in raw_lines:
            if not line.strip():
                continue
            try:
                body = json.loads(line)
            except json.JSONDecodeError as err:
                dead.append(dead_letter(self.name, "stream", f"malformed JSON in the stream: {err.msg}", line))
                continue
            if not isinstance(body, dict):
                dead.append(dead_letter(self.name, "stream", "a stream message must be a JSON object", line))
                continue
            if "data" not in body:
                log.warning("%s: stream message without data (%d bytes)", self.name, len(line))
                continue
            got, bad = page_signals(body, self.name, "stream", self.settings.own_account_id)
            signals.extend(got)
            dead.extend(bad)
        if signals:
            last = max(signals, key=lambda s: id_number(s.id.split(":", 1)[1]))
            cursor = {"last_id": last.id.split(":", 1)[1], "last_created_at": last.created_at.isoformat()}
        if signals or dead:
            self.status.polled(self.name, len(signals), len(dead), newest_epoch(signals))
        now = self.clock.monotonic()
        yield SourceBatch(signals, dead, dict(cursor), received=[now] * len(signals))
        return cursor


def _pump_lines(response: httpx.Response, lines: queue.Queue[tuple[str, Any]], stop: threading.Event) -> None:
    """Reader thread: put every line of the stream on the queue, then 'end' (or 'error' with the reason)."""
    try:
        for line in response.iter_lines():
            if stop.is_set():
                return
            lines.put(("line", line))
        lines.put(("end", None))
    except (httpx.HTTPError, OSError, RuntimeError) as err:
        lines.put(("error", f"{type(err).__name__}: {err}"))


def sync_rules(client: httpx.Client, wanted: list[Any], clock: Clock, cap: float) -> dict[str, int]:
    """Make the stream's rules equal to `wanted` (settings are the truth): delete the others, add the missing.

    Returns {"added": n, "deleted": m}; raises ConnectorError when the API refuses.
    """
    response = send(client, "GET", RULES_PATH)
    classify(response, "reading the stream rules", clock, cap)
    body = decode_json(response, "stream rules")
    current = body.get("data") or [] if isinstance(body, dict) else []
    want = {(r.value, r.tag) for r in wanted}
    have = {(str(r.get("value")), str(r.get("tag") or "")): str(r.get("id")) for r in current if isinstance(r, dict)}
    stale = [rule_id for key, rule_id in have.items() if key not in want]
    missing = [{"value": v, "tag": t} if t else {"value": v} for v, t in sorted(want) if (v, t) not in have]
    if stale:
        response = send(client, "POST", RULES_PATH, json={"delete": {"ids": stale}})
        classify(response, "deleting stream rules", clock, cap)
    if missing:
        response = send(client, "POST", RULES_PATH, json={"add": missing})
        classify(response, "adding stream rules", clock, cap)
        result = decode_json(response, "stream rules")
        errors = result.get("errors") if isinstance(result, dict) else None
        if errors:
            raise PermanentFailure(f"Twitter/X refused stream rule(s): {body_preview(json.dumps(errors))}")
    log.info("stream rules synced: %d added, %d deleted", len(missing), len(stale))
    return {"added": len(missing), "deleted": len(stale)}

