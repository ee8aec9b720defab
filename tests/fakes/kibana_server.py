"""A small threaded HTTP server that answers like Kibana's spaces and saved objects import APIs.

It checks the `kbn-xsrf` header and auth, parses the multipart upload, stores objects per space,
reports conflicts when `overwrite` is not true and missing references the way Kibana does, and
records every request for assertions.
"""
from __future__ import annotations

import base64
import email
import email.policy
import json
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit


@dataclass
class KibanaRequest:
    """One request as received (headers lower-cased)."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes


def parse_multipart(content_type: str, body: bytes) -> list[tuple[str, str | None, bytes]]:
    """(field name, filename, content) of each part of a multipart/form-data body."""
    message = email.message_from_bytes(f"Content-Type: {content_type}\r\n\r\n".encode() + body,
                                       policy=email.policy.HTTP)
    if not message.is_multipart():
        raise ValueError("not a multipart body")
    parts = []
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        parts.append((str(name), part.get_filename(), part.get_payload(decode=True) or b""))
    return parts


class FakeKibana:
    """The server and its state: spaces and saved objects per space."""

    def __init__(self, api_key: str | None = None, basic: tuple[str, str] | None = None) -> None:
        """Configure auth; nothing listens until the `with` block."""
        self.api_key = api_key
        self.basic = basic
        self.lock = threading.Lock()
        self.requests: list[KibanaRequest] = []
        self.spaces: dict[str, dict[str, Any]] = {"default": {"id": "default", "name": "Default"}}
        self.objects: dict[str, dict[tuple[str, str], dict[str, Any]]] = {"default": {}}
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """Base URL of the running server."""
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> "FakeKibana":
        """Start the server."""
        handler = type("Handler", (_Handler,), {"fake": self})
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        """Stop the server."""
        assert self._server is not None
        self._server.shutdown()
        self._server.server_close()

    def _authorised(self, headers: dict[str, str]) -> bool:
        """True when the Authorization header matches the configured credentials."""
        if not self.api_key and not self.basic:
            return True
        given = headers.get("authorization", "")
        if self.api_key and given == f"ApiKey {self.api_key}":
            return True
        if self.basic:
            token = base64.b64encode(f"{self.basic[0]}:{self.basic[1]}".encode()).decode()
            return given == f"Basic {token}"
        return False

    def handle(self, request: KibanaRequest) -> tuple[int, Any]:
        """Answer one request with (status, JSON body)."""
        if not self._authorised(request.headers):
            return 401, {"statusCode": 401, "error": "Unauthorized", "message": "Unauthorized"}
        if request.method in ("POST", "PUT", "DELETE") and "kbn-xsrf" not in request.headers:
            return 400, {"statusCode": 400, "error": "Bad Request", "message": "Request must contain a kbn-xsrf header."}
        parts = [unquote(p) for p in request.path.strip("/").split("/")]
        space = "default"
        if parts[:1] == ["s"] and len(parts) > 2:
            space, parts = parts[1], parts[2:]
        route = "/".join(parts)
        if route.startswith("api/spaces/space"):
            return self._spaces(request, parts)
        if space not in self.spaces:
            return 404, {"statusCode": 404, "error": "Not Found", "message": "Not Found"}
        if route == "api/saved_objects/_import" and request.method == "POST":
            return self._import(request, space)
        return 404, {"statusCode": 404, "error": "Not Found", "message": "Not Found"}

    def _spaces(self, request: KibanaRequest, parts: list[str]) -> tuple[int, Any]:
        """GET /api/spaces/space/<id> and POST /api/spaces/space."""
        with self.lock:
            if request.method == "GET" and len(parts) == 4:
                found = self.spaces.get(parts[3])
                return (200, found) if found else (404, {"statusCode": 404, "error": "Not Found",
                                                         "message": "Saved object [space/x] not found"})
            if request.method == "POST" and len(parts) == 3:
                body = json.loads(request.body)
                if body["id"] in self.spaces:
                    return 409, {"statusCode": 409, "error": "Conflict", "message": "space exists"}
                self.spaces[body["id"]] = body
                self.objects[body["id"]] = {}
                return 200, body
        return 404, {"statusCode": 404, "error": "Not Found", "message": "Not Found"}

    def _import(self, request: KibanaRequest, space: str) -> tuple[int, Any]:
        """POST .../api/saved_objects/_import: conflicts, missing references, storage."""
        overwrite = request.query.get("overwrite", ["false"])[0] == "true"
        try:
            parts = parse_multipart(request.headers.get("content-type", ""), request.body)
        except ValueError as err:
            return 400, {"statusCode": 400, "error": "Bad Request", "message": str(err)}
        files = [p for p in parts if p[0] == "file"]
        if len(files) != 1 or not (files[0][1] or "").endswith(".ndjson"):
            return 415, {"statusCode": 415, "error": "Unsupported Media Type",
                         "message": "Unsupported file extension"}
        objects = [json.loads(line) for line in files[0][2].decode("utf-8").splitlines() if line.strip()]
        with self.lock:
            store = self.objects[space]
            incoming = {(o["type"], o["id"]) for o in objects}
            errors, results = [], []
            for obj in objects:
                key = (obj["type"], obj["id"])
                missing = [r for r in obj.get("references", [])
                           if (r["type"], r["id"]) not in incoming and (r["type"], r["id"]) not in store]
                if missing:
                    errors.append({"id": obj["id"], "type": obj["type"], "error": {
                        "type": "missing_references", "references": [{"type": r["type"], "id": r["id"]}
                                                                     for r in missing]}})
                elif key in store and not overwrite:
                    errors.append({"id": obj["id"], "type": obj["type"], "error": {"type": "conflict"}})
                else:
                    results.append({"id": obj["id"], "type": obj["type"], "overwrite": key in store})
            if not errors:
                for obj in objects:
                    store[(obj["type"], obj["id"])] = obj
            else:
                results = []
        answer: dict[str, Any] = {"success": not errors, "successCount": len(results), "successResults": results}
        if errors:
            answer["errors"] = errors
        return 200, answer


class _Handler(BaseHTTPRequestHandler):
    """HTTP/1.1 handler that delegates to the FakeKibana it belongs to."""
    protocol_version = "HTTP/1.1"
    fake: FakeKibana

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - silence the default log
        """Silence the default request log."""
        return

    def _handle(self) -> None:
        """Read, record and answer one request."""
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        split = urlsplit(self.path)
        request = KibanaRequest(self.command, split.path, parse_qs(split.query),
                                {k.lower(): v for k, v in self.headers.items()}, body)
        with self.fake.lock:
            self.fake.requests.append(request)
        status, payload = self.fake.handle(request)
        data = json.dumps(payload).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_DELETE = _handle
