"""Facebook Graph API connector: the municipality's page posts, their comments and replies, polled.

Edits and deletions are found by comparison with a compact state kept in the cursor: per recent post a
hash of its text and, per comment, a short hash of (message, hidden, replied-by-page) plus its creation
time. A changed hash re-emits the comment (same id, new text, `meta.edited`); a comment gone from a
complete listing, or hidden by the page, is re-emitted with `meta.deleted = true` so views can drop it.
Posts older than `lookback_days` leave the state (their comments are no longer followed).
"""
from __future__ import annotations

import hashlib
import json
import logging
import re
import threading
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Iterator
from urllib.parse import parse_qsl

import httpx

from pipeline.core.signal import DeadLetter, InvalidSignal, RawSignal, SourceBatch, parse_time, validate
from pipeline.enrich.pii.boundary import dead_letter
from pipeline.sources.connectors.http_client import (
    AuthFailure,
    Clock,
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
    send,
    wait_with_heartbeats,
)
from pipeline.sources.connectors.settings import FacebookSettings

log = logging.getLogger(__name__)

POST_FIELDS = "id,message,created_time,updated_time,from{id,name},permalink_url,is_hidden"
COMMENT_FIELDS = "id,message,created_time,from{id,name},parent{id},is_hidden,permalink_url"
RATE_LIMIT_CODES = frozenset({4, 17, 32, 613, 80001})
PERMISSION_CODES = frozenset({10} | set(range(200, 300)))
TRANSIENT_CODES = frozenset({1, 2})
DELETED_TEXT = "[verwijderd]"
USAGE_HEADERS = ("x-app-usage", "x-page-usage", "x-ad-account-usage")
_OFFSET = re.compile(r"([+-]\d\d)(\d\d)$")


def graph_time(value: Any) -> str:
    """Graph API times ('2024-06-11T12:03:00+0000') as ISO 8601 with a colon in the offset."""
    if not isinstance(value, str):
        return ""
    return _OFFSET.sub(r"\1:\2", value.strip())


def short_hash(*parts: Any) -> str:
    """Ten hex digits of sha1 over the parts: enough to notice an edit, small enough for the cursor."""
    return hashlib.sha1("\x1f".join(str(p) for p in parts).encode("utf-8", "replace")).hexdigest()[:10]


@dataclass
class PageState:
    """The compact state in the cursor: per followed post its hash, creation time and comment hashes."""

    posts: dict[str, dict[str, Any]] = field(default_factory=dict)

    @classmethod
    def of(cls, cursor: dict[str, Any] | None) -> "PageState":
        """Rebuild from a cursor, ignoring malformed parts."""
        posts = (cursor or {}).get("posts")
        if not isinstance(posts, dict):
            return cls()
        clean = {str(k): v for k, v in posts.items()
                 if isinstance(v, dict) and isinstance(v.get("c", {}), dict)}
        return cls(posts=clean)

    def cursor(self) -> dict[str, Any]:
        """The JSON-able cursor (a deep-enough copy so later changes do not leak into yielded batches)."""
        return {"posts": {pid: {"t": p.get("t", 0), "h": p.get("h", ""), "c": dict(p.get("c", {}))}
                          for pid, p in self.posts.items()}}


def graph_error(response: httpx.Response) -> dict[str, Any]:
    """The `error` object of a Graph API error response ({} when there is none)."""
    try:
        body = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        return {}
    error = body.get("error") if isinstance(body, dict) else None
    return error if isinstance(error, dict) else {}


def usage_percent(headers: httpx.Headers) -> float:
    """The highest percentage in the app/page usage headers (call count, CPU time, total time)."""
    highest = 0.0
    for name in USAGE_HEADERS:
        raw = headers.get(name)
        if not raw:
            continue
        try:
            usage = json.loads(raw)
        except json.JSONDecodeError:
            continue
        values = usage.values() if isinstance(usage, dict) else []
        highest = max([highest] + [float(v) for v in values if isinstance(v, (int, float))])
    return highest


def regain_seconds(headers: httpx.Headers) -> float | None:
    """`estimated_time_to_regain_access` (minutes) from the business-use-case header, in seconds."""
    raw = headers.get("x-business-use-case-usage")
    if not raw:
        return None
    try:
        usage = json.loads(raw)
    except json.JSONDecodeError:
        return None
    minutes = [entry.get("estimated_time_to_regain_access", 0) for entries in usage.values()
               if isinstance(entries, list) for entry in entries if isinstance(entry, dict)]
    longest = max((m for m in minutes if isinstance(m, (int, float))), default=0)
    return longest * 60.0 if longest else None


def classify(response: httpx.Response, what: str, settings: FacebookSettings) -> None:
    """Raise the ConnectorError a failed Graph API response means; return quietly for 2xx."""
    if 200 <= response.status_code < 300:
        return
    error = graph_error(response)
    code = error.get("code")
    message = error.get("message") or body_preview(response.text)
    detail = f"{message} (code {code}, subcode {error.get('error_subcode')}, fbtrace_id {error.get('fbtrace_id')})"
    if code == 190:
        raise AuthFailure(f"Facebook rejected the page access token (expired or invalidated): {detail}")
    if code in PERMISSION_CODES:
        raise AuthFailure(f"Facebook refused {what}: the page token lacks a permission (it needs "
                          f"pages_read_engagement and pages_read_user_content): {detail}")
    if code in RATE_LIMIT_CODES or response.status_code == 429:
        wait = regain_seconds(response.headers) or settings.rate_limit_wait_seconds
        raise RateLimited(f"Facebook rate limit reached for {what}: {message} (code {code})",
                          min(wait, settings.rate_limit_max_wait_seconds))
    if response.status_code >= 500 or code in TRANSIENT_CODES or error.get("is_transient"):
        raise TransientFailure(f"Facebook server error {response.status_code} for {what}: {detail}")
    raise PermanentFailure(f"Facebook rejected {what} with HTTP {response.status_code}: {detail}")


class PostGone(Exception):
    """The post vanished between listing it and reading its comments."""


class FacebookPageSource:
    """Polls a page's posts (feed or posts edge) and their comments; emits new, edited and deleted items."""

    def __init__(self, settings: FacebookSettings, status: StatusSink | None = None, once: bool = False,
                 clock: Clock | None = None, name: str | None = None) -> None:
        """Configure from the [facebook] settings; `clock` and `status` are injectable."""
        self.settings = settings
        self.name = name or f"facebook:{settings.page_id}"
        self.status = status or NullStatus()
        self.clock = clock or Clock()
        self.policy = PollPolicy(settings.poll_interval_seconds, settings.backoff_initial_seconds,
                                 settings.backoff_max_seconds, once=once)
        self._not_before = 0.0
        self._stop = threading.Event()
        self._client: httpx.Client | None = None

    def batches(self, cursor: dict[str, Any] | None, stop: threading.Event) -> Iterator[SourceBatch]:
        """Poll until `stop` (or once), one batch per post whose post or comments changed."""
        self._stop = stop
        with build_client(self.settings.api_base, None, self.settings.request_timeout_seconds) as client:
            self._client = client
            yield from poll_forever(self.name, self._poll, PageState.of(cursor).cursor(), stop, self.policy,
                                    self.clock, self.status)

    def _path(self, node: str, edge: str) -> str:
        """The Graph API path of an edge of a node."""
        return f"/{self.settings.api_version}/{node}/{edge}"

    def _get(self, url: str, params: dict[str, Any] | None, what: str, cursor: dict[str, Any]
             ) -> Iterator[SourceBatch]:
        """GET one Graph API page (waiting first when usage is high); the generator returns the decoded body."""
        wait = self._not_before - self.clock.time()
        if wait > 0:
            log.info("%s: API usage is high; pausing %.0f s", self.name, wait)
            yield from wait_with_heartbeats(self._stop, wait, cursor, self.clock)
        base, _, query_string = url.partition("?")
        query = dict(parse_qsl(query_string, keep_blank_values=True))  # a paging.next URL carries its query
        query.update(params or {})
        query.setdefault("access_token", self.settings.page_token)
        assert self._client is not None
        response = send(self._client, "GET", base, params=query)
        if usage_percent(response.headers) >= self.settings.usage_slowdown_percent:
            log.warning("%s: API usage at %.0f%%; slowing down", self.name, usage_percent(response.headers))
            self._not_before = self.clock.time() + self.settings.rate_limit_wait_seconds
        if response.status_code in (400, 404) and graph_error(response).get("code") == 100 and what.startswith("comments"):
            raise PostGone(graph_error(response).get("message", "object does not exist"))
        classify(response, what, self.settings)
        body = decode_json(response, what)
        if not isinstance(body, dict) or not isinstance(body.get("data", []), list):
            raise MalformedResponse(f"{what}: expected an object with a `data` list", response.text, what)
        return body

    def _list(self, url: str, params: dict[str, Any], what: str, limit: int, cursor: dict[str, Any]
              ) -> Iterator[SourceBatch]:
        """All items of an edge, following paging.next; returns (items, complete)."""
        items: list[Any] = []
        next_url: str | None = url
        query: dict[str, Any] | None = params
        while next_url and len(items) < limit:
            body = yield from self._get(next_url, query, what, cursor)
            items.extend(body.get("data") or [])
            paging = body.get("paging") if isinstance(body.get("paging"), dict) else {}
            next_url = paging.get("next") if isinstance(paging.get("next"), str) else None
            query = None
        return items[:limit], next_url is None

    def _poll(self, cursor: dict[str, Any]) -> Iterator[SourceBatch]:
        """One poll: list recent posts, then per post its comments; yield a batch for every post that changed."""
        state = PageState.of(cursor)
        horizon = self.clock.time() - self.settings.lookback_days * 86_400
        posts, complete = yield from self._list(
            self._path(self.settings.page_id, self.settings.edge),
            {"fields": POST_FIELDS, "limit": min(self.settings.page_size, self.settings.max_posts_per_poll),
             "since": int(horizon)}, "page posts", self.settings.max_posts_per_poll, state.cursor())
        self.status.polled(self.name)
        listed: set[str] = set()
        for post in reversed(posts):  # the API lists newest first; follow the oldest first
            if not isinstance(post, dict) or not post.get("id"):
                yield SourceBatch([], [dead_letter(self.name, "page posts", "a post without an id",
                                                     json.dumps(post, default=str))], state.cursor())
                continue
            post_id = str(post["id"])
            listed.add(post_id)
            try:
                signals, dead = yield from self._follow_post(post, state)
            except PostGone as gone:
                log.info("%s: post %s is gone (%s); marking it deleted", self.name, post_id, gone)
                signals, dead = self._forget_post(post_id, state), []
            if signals or dead:
                self.status.polled(self.name, len(signals), len(dead),
                                   max((s.created_at.timestamp() for s in signals), default=None))
                now = self.clock.monotonic()
                yield SourceBatch(signals, dead, state.cursor(), received=[now] * len(signals))
        gone = []
        for post_id, saved in list(state.posts.items()):
            if saved.get("t", 0) < horizon:
                del state.posts[post_id]  # too old to follow any longer
            elif complete and post_id not in listed:
                gone.extend(self._forget_post(post_id, state))
        if gone:
            self.status.polled(self.name, len(gone))
        yield SourceBatch(gone, [], state.cursor(), received=[self.clock.monotonic()] * len(gone))

    def _follow_post(self, post: dict[str, Any], state: PageState) -> Iterator[SourceBatch]:
        """The changed post and comments of one post as (signals, dead letters); updates `state`."""
        post_id = str(post["id"])
        saved = state.posts.get(post_id, {"t": 0, "h": "", "c": {}})
        signals: list[RawSignal] = []
        dead: list[DeadLetter] = []
        own_post = self._is_page(post.get("from"))
        created = graph_time(post.get("created_time"))
        post_hash = short_hash(post.get("message"), post.get("is_hidden"))
        if post.get("message") and post_hash != saved.get("h"):
            meta = {"own_post": own_post, "kind": "post"}
            if saved.get("h"):
                meta["edited"] = True
            self._append(signals, dead, post, meta, f"post {post_id}")
        comments, _complete = yield from self._list(
            self._path(post_id, "comments"), {"filter": "stream", "fields": COMMENT_FIELDS, "order": "chronological",
                                              "limit": self.settings.page_size},
            f"comments of post {post_id}", 1_000_000, state.cursor())
        replied = {str((c.get("parent") or {}).get("id")) for c in comments
                   if isinstance(c, dict) and self._is_page(c.get("from")) and isinstance(c.get("parent"), dict)}
        old_comments: dict[str, str] = saved.get("c", {})
        new_comments: dict[str, str] = {}
        for comment in comments:
            if not isinstance(comment, dict) or not comment.get("id"):
                dead.append(dead_letter(self.name, f"comments of post {post_id}", "a comment without an id",
                                          json.dumps(comment, default=str)))
                continue
            comment_id = str(comment["id"])
            hidden = bool(comment.get("is_hidden"))
            replied_by_page = comment_id in replied
            digest = short_hash(comment.get("message"), hidden, replied_by_page)
            when = graph_time(comment.get("created_time"))
            try:
                epoch = int(parse_time(when).timestamp())
            except InvalidSignal:
                epoch = 0
            new_comments[comment_id] = f"{digest}:{epoch}"
            previous = old_comments.get(comment_id)
            if previous is not None and previous.split(":", 1)[0] == digest:
                continue
            if not comment.get("message") and not hidden:
                continue  # a sticker or photo without words: nothing to analyse
            parent = comment.get("parent") if isinstance(comment.get("parent"), dict) else None
            meta: dict[str, Any] = {"kind": "reply" if parent else "comment", "post_id": f"facebook:{post_id}",
                                    "reply_to": f"facebook:{parent['id']}" if parent else f"facebook:{post_id}",
                                    "own_post": self._is_page(comment.get("from")),
                                    "replied_by_municipality": replied_by_page}
            if previous is not None:
                meta["edited"] = True
            if hidden:
                meta.update(deleted=True, hidden=True)
            self._append(signals, dead, comment, meta, f"comment {comment_id}",
                         text=None if comment.get("message") else DELETED_TEXT)
        for comment_id, packed in old_comments.items():
            if comment_id not in new_comments:
                signals.append(self._deleted(comment_id, packed, post_id))
        state.posts[post_id] = {"t": self._epoch(created), "h": post_hash, "c": new_comments}
        return signals, dead

    def _forget_post(self, post_id: str, state: PageState) -> list[RawSignal]:
        """A post that disappeared: the post and all its known comments re-emitted as deleted."""
        saved = state.posts.pop(post_id, None) or {}
        signals = [self._deleted(cid, packed, post_id) for cid, packed in saved.get("c", {}).items()]
        if saved.get("h"):
            signals.append(self._deleted(post_id, f"{saved['h']}:{saved.get('t', 0)}", None))
        return signals

    def _deleted(self, item_id: str, packed: str, post_id: str | None) -> RawSignal:
        """The deletion marker of a comment or post: same id, placeholder text, meta.deleted = true."""
        _digest, _, epoch = packed.partition(":")
        created = datetime.fromtimestamp(int(epoch or 0), timezone.utc)
        meta: dict[str, Any] = {"deleted": True}
        if post_id:
            meta["post_id"] = f"facebook:{post_id}"
        return RawSignal(id=f"facebook:{item_id}", channel="facebook", created_at=created, text=DELETED_TEXT,
                         url=f"https://www.facebook.com/{item_id}", meta=meta)

    def _append(self, signals: list[RawSignal], dead: list[DeadLetter], item: dict[str, Any],
                meta: dict[str, Any], position: str, text: str | None = None) -> None:
        """Validate one post or comment into a signal, or keep it as a dead letter with the reason."""
        author = item.get("from") if isinstance(item.get("from"), dict) else {}
        obj = {"id": f"facebook:{item['id']}", "channel": "facebook",
               "created_at": graph_time(item.get("created_time")),
               "text": text if text is not None else item.get("message") or "",
               "author": str(author.get("id") or author.get("name") or "") or None,
               "url": item.get("permalink_url") or f"https://www.facebook.com/{item['id']}", "meta": meta}
        try:
            signals.append(validate(obj))
        except InvalidSignal as err:
            dead.append(dead_letter(self.name, position, err.reason, json.dumps(item, default=str)))

    def _is_page(self, author: Any) -> bool:
        """True when a post or comment was written by the page itself (the municipality)."""
        return isinstance(author, dict) and str(author.get("id")) == self.settings.page_id

    @staticmethod
    def _epoch(when: str) -> int:
        """An ISO time as epoch seconds (0 when unreadable)."""
        try:
            return int(parse_time(when).timestamp())
        except InvalidSignal:
            return 0
