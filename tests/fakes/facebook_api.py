"""A threaded local HTTP server that answers like the parts of the Facebook Graph API the page connector uses.

`/{version}/{page}/feed|posts` and `/{version}/{post}/comments` with `data` and `paging` (`cursors.after`,
`next`), Graph error objects (OAuthException 190, permission code 10/200, rate-limit codes), usage headers
and scripted replies per path for failure injection.
"""
from __future__ import annotations

import calendar
import json
import time
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from fakes.http_server import FakeServer, Reply

VERSION = "v21.0"
PAGE_ID = "1234"


def graph_error(code: int, message: str, status: int = 400, subcode: int | None = None,
                kind: str = "OAuthException") -> Reply:
    """A Graph API error response."""
    error: dict[str, Any] = {"message": message, "type": kind, "code": code, "fbtrace_id": "AbC123"}
    if subcode is not None:
        error["error_subcode"] = subcode
    return Reply(status, {"error": error})


def fb_time(offset_seconds: int) -> str:
    """A Graph API timestamp `offset_seconds` before now ('2024-06-11T12:03:00+0000')."""
    return time.strftime("%Y-%m-%dT%H:%M:%S+0000", time.gmtime(time.time() - offset_seconds))


class FakeFacebook(FakeServer):
    """Holds one page's posts and comments; serves them with cursor paging; records every request."""

    def __init__(self, token: str = "page-token") -> None:
        """Start with an empty page, accepting `token`."""
        self.token = token
        self.posts: list[dict[str, Any]] = []  # newest first, like the API
        self.comments: dict[str, list[dict[str, Any]]] = {}
        self.usage = {"call_count": 5, "total_cputime": 2, "total_time": 3}
        self.requests: list[tuple[str, dict[str, list[str]]]] = []
        super().__init__()

    def add_post(self, post_id: str, message: str, age: int = 3600, by_page: bool = True) -> None:
        """A post on the page (by the page itself unless `by_page` is False)."""
        author = {"id": PAGE_ID, "name": "Gemeente Zeist"} if by_page else {"id": "u-post", "name": "Bewoner"}
        with self.lock:
            self.posts.insert(0, {"id": post_id, "message": message, "created_time": fb_time(age),
                                  "updated_time": fb_time(age), "from": author,
                                  "permalink_url": f"https://www.facebook.com/{post_id}"})
            self.comments.setdefault(post_id, [])

    def add_comment(self, post_id: str, comment_id: str, message: str, author_id: str = "u1",
                    parent: str | None = None, age: int = 600) -> None:
        """A comment (or a reply, with `parent`) on a post; author PAGE_ID means the page itself."""
        comment: dict[str, Any] = {"id": comment_id, "message": message, "created_time": fb_time(age),
                                   "from": {"id": author_id, "name": "Gemeente Zeist" if author_id == PAGE_ID else "Inwoner"},
                                   "is_hidden": False}
        if parent:
            comment["parent"] = {"id": parent}
        with self.lock:
            self.comments.setdefault(post_id, []).append(comment)

    def edit_comment(self, post_id: str, comment_id: str, **changes: Any) -> None:
        """Change fields of a comment (message, is_hidden)."""
        with self.lock:
            for comment in self.comments[post_id]:
                if comment["id"] == comment_id:
                    comment.update(changes)

    def delete_comment(self, post_id: str, comment_id: str) -> None:
        """Remove a comment, as when its author deletes it."""
        with self.lock:
            self.comments[post_id] = [c for c in self.comments[post_id] if c["id"] != comment_id]

    def calls(self, path: str) -> list[dict[str, list[str]]]:
        """Query parameters of the requests received for `path`."""
        return [q for (p, q) in self.requests if p == path]

    def page_of(self, path: str, items: list[dict[str, Any]], query: dict[str, list[str]]) -> Reply:
        """One page of an edge with Graph-style cursor paging."""
        limit = int(query.get("limit", ["25"])[0])
        start = int(query["after"][0].removeprefix("c")) if "after" in query else 0
        chunk = items[start:start + limit]
        body: dict[str, Any] = {"data": chunk}
        if chunk:
            body["paging"] = {"cursors": {"before": f"c{start}", "after": f"c{start + len(chunk)}"}}
            if start + limit < len(items):
                following = {k: v[0] for k, v in query.items() if k != "after"}
                following["after"] = f"c{start + len(chunk)}"
                body["paging"]["next"] = f"{self.url}{path}?{urlencode(following)}"
        return Reply(200, body, {"x-app-usage": json.dumps(self.usage)})

    def answer(self, path: str, query: dict[str, list[str]]) -> Reply:
        """Route a GET to the page edge or a post's comments edge."""
        if query.get("access_token", [""])[0] != self.token:
            return graph_error(190, "Error validating access token: Session has expired on Tuesday, 11-Jun-24 "
                                    "10:00:00 PDT.", subcode=463)
        parts = path.strip("/").split("/")
        if len(parts) != 3 or parts[0] != VERSION:
            return graph_error(2500, "Unknown path components", kind="OAuthException")
        _version, node, edge = parts
        with self.lock:
            if node == PAGE_ID and edge in ("feed", "posts"):
                since = int(query.get("since", ["0"])[0])
                posts = [p for p in self.posts
                         if calendar.timegm(time.strptime(p["created_time"][:19], "%Y-%m-%dT%H:%M:%S")) >= since]
                return self.page_of(path, [dict(p) for p in posts], query)
            if edge == "comments" and node in self.comments:
                return self.page_of(path, [dict(c) for c in self.comments[node]], query)
        return graph_error(100, f"Unsupported get request. Object with ID '{node}' does not exist",
                           kind="GraphMethodException")

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        """The request handler class bound to this fake."""
        fake = self

        class Handler(BaseHTTPRequestHandler):
            """Answers GET requests from the fake's data."""
            def log_message(self, *args: Any) -> None:  # quiet
                """Keep test output quiet."""
                pass

            def do_GET(self) -> None:  # noqa: N802 - http.server naming
                """Record the request and answer it (scripted reply first)."""
                parts = urlsplit(self.path)
                query = parse_qs(parts.query)
                with fake.lock:
                    fake.requests.append((parts.path, query))
                    scripted = fake.scripts.get(parts.path)
                    reply = scripted.pop(0) if scripted else None
                reply = reply or fake.answer(parts.path, query)
                body = reply.payload()
                self.send_response(reply.status)
                self.send_header("Content-Type", "application/json; charset=UTF-8")
                self.send_header("Content-Length", str(len(body)))
                for key, value in reply.headers.items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(body)

        return Handler
