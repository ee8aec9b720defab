"""A threaded local HTTP server that answers like the parts of the Twitter/X API v2 the connectors use.

Recent search (newest first, `since_id`, opaque `next_token`, `data`/`includes`/`meta` shapes, rate-limit
headers), the filtered stream (scripted connections of NDJSON lines with blank keep-alives, dropped when a
script ends) and the stream rules endpoint. Failures are injected by queueing scripted replies per path.
"""
from __future__ import annotations

import json
import time
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlsplit

from fakes.http_server import FakeServer, Reply

SEARCH = "/2/tweets/search/recent"
STREAM = "/2/tweets/search/stream"
RULES = "/2/tweets/search/stream/rules"


def make_tweet(tweet_id: int, text: str, author_id: str = "100", **extra: Any) -> dict[str, Any]:
    """A tweet object as the API returns it (created_at derived from the id so order is consistent)."""
    moment = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(1_718_000_000 + tweet_id))
    tweet = {"id": str(tweet_id), "text": text, "author_id": author_id, "created_at": moment,
             "edit_history_tweet_ids": [str(tweet_id)], "lang": "nl"}
    tweet.update(extra)
    return tweet


class FakeTwitter(FakeServer):
    """The fake API: holds tweets, users, places, rules and scripted replies; records every request."""

    def __init__(self, token: str = "good-token") -> None:
        """Start empty, accepting `token`."""
        self.token = token
        self.tweets: list[dict[str, Any]] = []
        self.users: dict[str, str] = {"100": "bewoner_a", "200": "gemeentezeist"}
        self.places: dict[str, str] = {"pl1": "Zeist, Nederland"}
        self.rules: list[dict[str, str]] = []
        self.stream_sessions: list[list[str]] = []
        self.requests: list[tuple[str, str, dict[str, list[str]]]] = []
        self.remaining = 450
        super().__init__()

    def calls(self, path: str) -> list[dict[str, list[str]]]:
        """Query parameters of the requests received for `path`."""
        return [q for (_, p, q) in self.requests if p == path]

    def search(self, query: dict[str, list[str]]) -> Reply:
        """Recent search: tweets newer than since_id, newest first, in pages of max_results."""
        since = int(query.get("since_id", ["0"])[0])
        size = int(query.get("max_results", ["10"])[0])
        if not 10 <= size <= 100:
            return Reply(400, {"errors": [{"message": "max_results must be between 10 and 100"}],
                               "title": "Invalid Request", "detail": "One or more parameters to your request was invalid."})
        until: int | None = None
        if "next_token" in query:  # the token names the oldest id already served and the since_id it is for
            token = query["next_token"][0]
            parts = token.split("-")
            if len(parts) != 3 or parts[0] != "nt" or parts[2] != str(since):
                return Reply(400, {"title": "Invalid Request", "detail": f"invalid next_token {token}"})
            until = int(parts[1])
        with self.lock:
            matching = sorted((t for t in self.tweets if int(t["id"]) > since
                               and (until is None or int(t["id"]) < until)), key=lambda t: -int(t["id"]))
        page = matching[:size]
        if not page:
            return Reply(200, {"meta": {"result_count": 0}})
        meta: dict[str, Any] = {"newest_id": page[0]["id"], "oldest_id": page[-1]["id"], "result_count": len(page)}
        if size < len(matching):
            meta["next_token"] = f"nt-{page[-1]['id']}-{since}"
        return Reply(200, {"data": page, "includes": self.includes(page), "meta": meta})

    def includes(self, tweets: list[dict[str, Any]]) -> dict[str, Any]:
        """The expansions for these tweets: users by author_id, places by geo.place_id."""
        authors = sorted({t["author_id"] for t in tweets if t.get("author_id") in self.users})
        places = sorted({t["geo"]["place_id"] for t in tweets if t.get("geo", {}).get("place_id") in self.places})
        out: dict[str, Any] = {"users": [{"id": a, "name": a, "username": self.users[a]} for a in authors]}
        if places:
            out["places"] = [{"id": p, "full_name": self.places[p]} for p in places]
        return out

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        """The request handler class bound to this fake."""
        fake = self

        class Handler(BaseHTTPRequestHandler):
            """Routes requests to the fake's endpoints."""
            def log_message(self, *args: Any) -> None:  # quiet
                """Keep test output quiet."""
                pass

            def _send(self, reply: Reply) -> None:
                """Write one complete reply."""
                body = reply.payload()
                self.send_response(reply.status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                for key, value in reply.headers.items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(body)

            def _route(self, method: str) -> None:
                """Record the request, then answer it: scripted reply, auth check, endpoint."""
                parts = urlsplit(self.path)
                query = parse_qs(parts.query)
                with fake.lock:
                    fake.requests.append((method, parts.path, query))
                    scripted = fake.scripts.get(parts.path)
                    reply = scripted.pop(0) if scripted else None
                if reply is not None:
                    return self._send(reply)
                if self.headers.get("Authorization") != f"Bearer {fake.token}":
                    return self._send(Reply(401, {"title": "Unauthorized", "type": "about:blank", "status": 401,
                                                  "detail": "Unauthorized"}))
                if parts.path == SEARCH and method == "GET":
                    reply = fake.search(query)
                    fake.remaining -= 1
                    reply.headers.update({"x-rate-limit-limit": "450", "x-rate-limit-remaining": str(fake.remaining),
                                          "x-rate-limit-reset": str(int(time.time()) + 900)})
                    return self._send(reply)
                if parts.path == STREAM and method == "GET":
                    return self._stream()
                if parts.path == RULES:
                    return self._send(fake.rules_reply(method, self._body()))
                self._send(Reply(404, {"title": "Not Found Error", "detail": parts.path}))

            def _body(self) -> Any:
                """The request body as JSON."""
                length = int(self.headers.get("Content-Length") or 0)
                return json.loads(self.rfile.read(length) or b"null")

            def _stream(self) -> None:
                """Stream the next scripted session and drop the connection, or keep-alives until shutdown."""
                with fake.lock:
                    session = fake.stream_sessions.pop(0) if fake.stream_sessions else None
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                try:
                    if session is not None:  # send the scripted lines, then drop the connection
                        for line in session:
                            self.wfile.write(line.encode("utf-8") + b"\r\n")
                            self.wfile.flush()
                        return
                    while not fake.closing.wait(0.2):  # no script left: keep-alives until the server stops
                        self.wfile.write(b"\r\n")
                        self.wfile.flush()
                except (BrokenPipeError, ConnectionResetError):
                    return

            def do_GET(self) -> None:  # noqa: N802 - http.server naming
                """Handle GET."""
                self._route("GET")

            def do_POST(self) -> None:  # noqa: N802
                """Handle POST."""
                self._route("POST")

        return Handler

    def rules_reply(self, method: str, body: Any) -> Reply:
        """List, add or delete stream rules like the rules endpoint."""
        with self.lock:
            if method == "GET":
                return Reply(200, {"data": list(self.rules), "meta": {"result_count": len(self.rules)}} if self.rules
                             else {"meta": {"result_count": 0}})
            if isinstance(body, dict) and "add" in body:
                created = []
                for rule in body["add"]:
                    new = {"id": str(9000 + len(self.rules) + len(created)), **rule}
                    created.append(new)
                self.rules.extend(created)
                return Reply(201, {"data": created, "meta": {"summary": {"created": len(created), "not_created": 0}}})
            if isinstance(body, dict) and "delete" in body:
                ids = set(body["delete"]["ids"])
                before = len(self.rules)
                self.rules = [r for r in self.rules if r["id"] not in ids]
                return Reply(200, {"meta": {"summary": {"deleted": before - len(self.rules), "not_deleted": 0}}})
        return Reply(400, {"title": "Invalid Request", "detail": "expected add or delete"})
