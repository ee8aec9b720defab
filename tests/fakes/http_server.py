"""Scaffolding of the fake platform APIs: scripted replies and a threaded local HTTP server."""
from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Reply:
    """A scripted reply: status, body (bytes, str or JSON-able) and headers."""

    status: int
    body: Any = b""
    headers: dict[str, str] = field(default_factory=dict)

    def payload(self) -> bytes:
        """The body as bytes."""
        if isinstance(self.body, bytes):
            return self.body
        if isinstance(self.body, str):
            return self.body.encode("utf-8")
        return json.dumps(self.body).encode("utf-8")


class FakeServer:
    """A local server on a free port; subclasses give the handler and queue scripted replies per path."""

    def __init__(self) -> None:
        """Bind to 127.0.0.1 on a free port; serving starts on `with`."""
        self.scripts: dict[str, list[Reply]] = {}
        self.lock = threading.Lock()
        self.closing = threading.Event()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        """The request handler class bound to this fake."""
        raise NotImplementedError

    @property
    def url(self) -> str:
        """The base URL to point a connector at."""
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> "FakeServer":
        """Start serving."""
        self.thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        """Stop serving and end open streams."""
        self.closing.set()
        self.server.shutdown()
        self.server.server_close()

    def script(self, path: str, *replies: Reply) -> None:
        """Answer the next requests to `path` with these replies, in order, before normal service resumes."""
        with self.lock:
            self.scripts.setdefault(path, []).extend(replies)
