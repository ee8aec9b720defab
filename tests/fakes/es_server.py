"""A small threaded HTTP server that answers like the part of the Elasticsearch REST API Stadssignaal uses.

It speaks: GET/HEAD / (info), bulk NDJSON with per-item results, index templates, ILM policies,
aliases and put-mapping; it sends `X-Elastic-Product: Elasticsearch`, checks the REST compatibility
media types the way Elasticsearch 8 and 9 do, checks auth, validates documents against the
mapping of the matching index template (a simplified mapper), and records every request.
Failures can be injected: whole-request statuses, dropped connections, per-item failures,
a crash half-way through a bulk request, and holding requests until released.

Run standalone for a manual benchmark: `python tests/fakes/es_server.py --port 9200`.
"""
from __future__ import annotations

import argparse
import base64
import fnmatch
import gzip
import json
import re
import shutil
import socket
import ssl
import subprocess
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

_COMPAT_RE = re.compile(r"compatible-with=(\d+)")
_ORIGINATION_RE = re.compile(r"^.*-(\d{4}.\d{2}.\d{2})(-\d+)?$")
_STRINGS = {"keyword", "text", "match_only_text"}
_NUMERIC = {"long", "integer", "short", "byte", "double", "float", "half_float", "scaled_float", "unsigned_long"}


@dataclass
class Recorded:
    """One request as the server received it (headers lower-cased, body decompressed)."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        """The body as JSON."""
        return json.loads(self.body)

    def ndjson(self) -> list[Any]:
        """The body as NDJSON lines."""
        return [json.loads(line) for line in self.body.splitlines() if line.strip()]


@dataclass
class StoredDoc:
    """A document in an index, with its version (1 on create, +1 on every overwrite)."""

    source: dict[str, Any]
    version: int


@dataclass
class FakeIndex:
    """An index: its documents, aliases, mapping and settings (from the template at creation)."""

    docs: dict[str, StoredDoc] = field(default_factory=dict)
    aliases: set[str] = field(default_factory=set)
    mapping: dict[str, Any] = field(default_factory=dict)
    settings: dict[str, Any] = field(default_factory=dict)


def filter_path(value: Any, patterns: list[str]) -> Any:
    """Keep only the parts of a response named by Elasticsearch `filter_path` patterns (`*` = any key)."""
    if not patterns:
        return value
    if isinstance(value, list):
        return [filter_path(item, patterns) for item in value]
    if not isinstance(value, dict):
        return value
    out: dict[str, Any] = {}
    for key, item in value.items():
        rests = []
        for pattern in patterns:
            head, _, rest = pattern.partition(".")
            if head == key or head == "*" or ("*" in head and fnmatch.fnmatchcase(key, head)):
                rests.append(rest)
        if not rests:
            continue
        if "" in rests:
            out[key] = item
        else:
            kept = filter_path(item, rests)
            if kept not in ({}, []):
                out[key] = kept
    return out


def _error(kind: str, reason: str, status: int, **extra: Any) -> tuple[int, dict[str, Any]]:
    """An Elasticsearch-style error answer."""
    body = {"error": {"root_cause": [{"type": kind, "reason": reason}], "type": kind, "reason": reason, **extra},
            "status": status}
    return status, body


def _flat_settings(settings: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested settings flattened to dotted keys, as Elasticsearch stores them."""
    out: dict[str, Any] = {}
    for key, value in settings.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(_flat_settings(value, name + "."))
        else:
            out[name] = value
    return out


def _is_date(value: Any) -> bool:
    """True for values a `date` field accepts (ISO 8601 or epoch numbers)."""
    if isinstance(value, bool):
        return False
    if isinstance(value, (int, float)):
        return True
    if not isinstance(value, str):
        return False
    text = value[:-1] + "+00:00" if value.endswith("Z") else value
    try:
        datetime.fromisoformat(text)
        return True
    except ValueError:
        return False


def _leaf_error(name: str, kind: str, value: Any) -> str | None:
    """Why `value` cannot be indexed as `kind`, or None (a simplified version of Elasticsearch's mappers)."""
    if value is None:
        return None
    value_type = type(value)
    if value_type is str and kind in _STRINGS:
        return None
    if (value_type is int or value_type is float) and kind in _NUMERIC:
        return None
    if value_type is bool and kind == "boolean":
        return None
    if isinstance(value, list) and kind != "geo_point":
        for item in value:
            problem = _leaf_error(name, kind, item)
            if problem:
                return problem
        return None
    bad = f"failed to parse field [{name}] of type [{kind}]"
    if kind == "keyword":
        return bad if isinstance(value, dict) else None
    if kind in ("text", "match_only_text"):
        return bad if isinstance(value, dict) else None
    if kind == "date":
        return None if _is_date(value) else bad
    if kind == "boolean":
        return None if isinstance(value, bool) or value in ("true", "false", "") else bad
    if kind in _NUMERIC:
        if isinstance(value, bool) or isinstance(value, dict):
            return bad
        if isinstance(value, (int, float)):
            return None
        try:
            float(value)
            return None
        except (TypeError, ValueError):
            return bad
    if kind == "geo_point":
        if isinstance(value, dict) and {"lat", "lon"} <= set(value):
            ok = all(isinstance(value[k], (int, float)) for k in ("lat", "lon"))
            return None if ok and -90 <= value["lat"] <= 90 and -180 <= value["lon"] <= 180 else bad
        if isinstance(value, list) and len(value) == 2 and all(isinstance(v, (int, float)) for v in value):
            return None
        if isinstance(value, str) and value.count(",") == 1:
            return None
        return bad
    if kind == "flattened":
        return None
    return f"unknown mapping type [{kind}] for field [{name}]"


def check_document(mapping: dict[str, Any], doc: Any, path: str = "", dynamic: Any = True) -> str | None:
    """The first reason `doc` does not fit `mapping` (properties/dynamic), or None."""
    if type(doc) is not dict:
        return f"object mapping for [{path or '_doc'}] tried to parse a non-object value"
    properties = mapping.get("properties", {})
    dynamic = mapping.get("dynamic", dynamic)
    for key, value in doc.items():
        spec = properties.get(key)
        if spec is None:
            if str(dynamic) == "strict":
                return f"mapping set to strict, dynamic introduction of [{key}] within [{path or '_doc'}] is not allowed"
            continue
        if value is None:
            continue
        kind = spec.get("type", "object")
        value_type = type(value)
        if value_type is str and kind in _STRINGS:
            if len(value) > 8000 and kind == "keyword" and "ignore_above" not in spec \
                    and len(value.encode("utf-8")) > 32766:
                return f"Document contains at least one immense term in field=\"{path}{key}\""
            continue
        if (value_type is int or value_type is float) and kind in _NUMERIC:
            continue
        name = f"{path}.{key}" if path else key
        if kind in ("object", "nested"):
            for item in (value if value_type is list else [value]):
                if item is not None:
                    problem = check_document(spec, item, name, dynamic)
                    if problem:
                        return problem
            continue
        problem = _leaf_error(name, kind, value)
        if problem:
            return problem
    return None


class FakeElasticsearch:
    """The server and its state; use as a context manager or call start()/stop()."""

    def __init__(self, version: str = "9.1.0", api_key: str | None = None,
                 basic: tuple[str, str] | None = None, ssl_context: ssl.SSLContext | None = None,
                 product_header: bool = True, port: int = 0) -> None:
        """Configure version, auth and TLS; nothing listens until start()."""
        self.version = version
        self.major = int(version.split(".")[0])
        self.api_key = api_key
        self.basic = basic
        self.ssl_context = ssl_context
        self.product_header = product_header
        self.port = port
        self.lock = threading.RLock()
        self.requests: list[Recorded] = []
        self.indices: dict[str, FakeIndex] = {}
        self.templates: dict[str, dict[str, Any]] = {}
        self.policies: dict[str, dict[str, Any]] = {}
        self.policy_versions: dict[str, int] = {}
        self._bulk_failures: deque[int | str] = deque()
        self._item_failures: dict[str, deque[tuple[int, str]]] = {}
        self._always_fail: dict[str, tuple[int, str]] = {}
        self._crashes: deque[tuple[int, int | str]] = deque()
        self._released = threading.Event()
        self._released.set()
        self.held = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------------ lifecycle

    @property
    def url(self) -> str:
        """Base URL of the running server."""
        assert self._server is not None, "server not started"
        scheme = "https" if self.ssl_context else "http"
        return f"{scheme}://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> "FakeElasticsearch":
        """Start serving in a background thread."""
        handler = type("Handler", (_Handler,), {"fake": self})
        server = ThreadingHTTPServer(("127.0.0.1", self.port), handler)
        server.daemon_threads = True
        if self.ssl_context is not None:
            server.socket = self.ssl_context.wrap_socket(server.socket, server_side=True)
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="fake-es", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and release held requests."""
        self._released.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(5)

    def __enter__(self) -> "FakeElasticsearch":
        """Start the server."""
        return self.start()

    def __exit__(self, *exc: object) -> None:
        """Stop the server."""
        self.stop()

    # ------------------------------------------------------------------ failure injection

    def fail_bulk(self, status: int, times: int = 1) -> None:
        """The next `times` bulk requests get HTTP `status` and store nothing."""
        with self.lock:
            self._bulk_failures.extend([status] * times)

    def drop_bulk(self, times: int = 1) -> None:
        """The next `times` bulk requests get no answer: the connection is closed."""
        with self.lock:
            self._bulk_failures.extend(["drop"] * times)

    def fail_item(self, doc_id: str, status: int = 429, kind: str = "es_rejected_execution_exception",
                  times: int | None = 1) -> None:
        """Make the item with `doc_id` fail `times` times (None: always) with `status`."""
        with self.lock:
            if times is None:
                self._always_fail[doc_id] = (status, kind)
            else:
                self._item_failures.setdefault(doc_id, deque()).extend([(status, kind)] * times)

    def crash_mid_batch(self, after: int, outcome: int | str = 500) -> None:
        """The next bulk request stores its first `after` items, then fails with `outcome` (status or 'drop')."""
        with self.lock:
            self._crashes.append((after, outcome))

    def hold(self) -> None:
        """Keep bulk requests waiting until release() (Elasticsearch hanging)."""
        self._released.clear()

    def release(self) -> None:
        """Let held bulk requests proceed."""
        self._released.set()

    # ------------------------------------------------------------------ inspection

    def bulk_requests(self) -> list[Recorded]:
        """The bulk requests received so far."""
        with self.lock:
            return [r for r in self.requests if r.path.endswith("/_bulk")]

    def writes(self) -> list[Recorded]:
        """Requests other than GET/HEAD."""
        with self.lock:
            return [r for r in self.requests if r.method not in ("GET", "HEAD")]

    def documents(self, pattern: str = "*") -> dict[str, StoredDoc]:
        """Documents by _id over indices matching `pattern`; raises if one _id is stored twice."""
        out: dict[str, StoredDoc] = {}
        with self.lock:
            for name, index in self.indices.items():
                if not fnmatch.fnmatchcase(name, pattern):
                    continue
                for doc_id, doc in index.docs.items():
                    if doc_id in out:
                        raise AssertionError(f"_id {doc_id} stored in more than one index")
                    out[doc_id] = doc
        return out

    def count(self, pattern: str = "*") -> int:
        """Total documents over indices matching `pattern` (duplicates across indices counted)."""
        with self.lock:
            return sum(len(i.docs) for n, i in self.indices.items() if fnmatch.fnmatchcase(n, pattern))

    def add_index(self, name: str, aliases: tuple[str, ...] = ()) -> None:
        """Create an index directly (as if made before the current setup)."""
        with self.lock:
            self.indices.setdefault(name, FakeIndex(aliases=set(aliases)))

    # ------------------------------------------------------------------ request handling

    def _info(self) -> dict[str, Any]:
        """The GET / answer."""
        return {"name": "fake-node", "cluster_name": "fake", "cluster_uuid": "fake-uuid",
                "version": {"number": self.version, "build_flavor": "default",
                            "minimum_wire_compatibility_version": f"{self.major - 1}.19.0"},
                "tagline": "You Know, for Search"}

    def check_auth(self, headers: dict[str, str]) -> tuple[int, dict[str, Any]] | None:
        """None when the request is authorised, else the 401 answer."""
        if not self.api_key and not self.basic:
            return None
        given = headers.get("authorization", "")
        expected = []
        if self.api_key:
            expected.append(f"ApiKey {self.api_key}")
        if self.basic:
            token = base64.b64encode(f"{self.basic[0]}:{self.basic[1]}".encode()).decode()
            expected.append(f"Basic {token}")
        if given in expected:
            return None
        reason = "missing authentication credentials for REST request" if not given else "unable to authenticate"
        return _error("security_exception", reason, 401)

    def check_media_types(self, headers: dict[str, str], has_body: bool) -> tuple[int, dict[str, Any]] | None:
        """Reject compatibility versions this major does not accept, like Elasticsearch does."""
        accept = headers.get("accept", "")
        content_type = headers.get("content-type", "") if has_body else ""
        versions = {}
        for name, value in (("Accept", accept), ("Content-Type", content_type)):
            match = _COMPAT_RE.search(value)
            if match:
                versions[name] = int(match.group(1))
        allowed = {self.major - 1, self.major}
        for name, wanted in versions.items():
            if wanted not in allowed:
                reason = (f"{name} version must be either version {self.major} or {self.major - 1}, "
                          f"but found {wanted}. {name}={accept if name == 'Accept' else content_type}")
                return _error("media_type_header_exception",
                              "Invalid media-type value on headers [Accept, Content-Type]", 400,
                              caused_by={"type": "status_exception", "reason": reason})
        if has_body and len(versions) == 1 and content_type and accept:
            return _error("media_type_header_exception",
                          "Invalid media-type value on headers [Accept, Content-Type]", 400,
                          caused_by={"type": "status_exception", "reason":
                                     "A compatible version is required on both Content-Type and Accept headers "
                                     "if either one has requested a compatible version"})
        return None

    def route(self, request: Recorded) -> tuple[int, Any]:
        """Answer one request: (status, JSON body or None, or 'drop')."""
        parts = [unquote(p) for p in request.path.strip("/").split("/") if p]
        method = request.method
        if not parts:
            return (200, self._info()) if method in ("GET", "HEAD") else _error("illegal_argument_exception", "bad", 405)
        if parts[-1] == "_bulk" and method in ("POST", "PUT"):
            return self._bulk(request, parts[0] if len(parts) == 2 else None)
        if parts[0] == "_index_template" and len(parts) == 2:
            return self._template(method, parts[1], request)
        if parts[:2] == ["_ilm", "policy"] and len(parts) == 3:
            return self._policy(method, parts[2], request)
        if parts == ["_aliases"] and method == "POST":
            return self._aliases(request.json())
        if len(parts) == 2 and parts[1] == "_alias" and method == "GET":
            return self._get_aliases(parts[0])
        if len(parts) == 2 and parts[1] == "_mapping" and method == "PUT":
            return self._put_mapping(parts[0], request.json())
        if len(parts) == 2 and parts[1] == "_count" and method in ("GET", "POST"):
            with self.lock:
                return 200, {"count": sum(len(self.indices[n].docs) for n in self._matching(parts[0]))}
        if len(parts) == 2 and parts[1] == "_search" and method in ("GET", "POST"):
            return self._search(parts[0], request.json() if request.body else {})
        if parts == ["_cluster", "health"]:
            return 200, {"status": "green", "number_of_nodes": 1}
        return _error("illegal_argument_exception", f"no handler found for uri [{request.path}] and method [{method}]", 400)

    def _template(self, method: str, name: str, request: Recorded) -> tuple[int, Any]:
        """PUT/GET/HEAD /_index_template/<name>."""
        with self.lock:
            if method == "PUT":
                body = request.json()
                if not isinstance(body.get("index_patterns"), list) or not isinstance(body.get("template"), dict):
                    return _error("x_content_parse_exception", "index_patterns and template are required", 400)
                self.templates[name] = body
                return 200, {"acknowledged": True}
            if name not in self.templates:
                return _error("resource_not_found_exception", f"index template matching [{name}] not found", 404)
            return 200, {"index_templates": [{"name": name, "index_template": self.templates[name]}]}

    def _policy(self, method: str, name: str, request: Recorded) -> tuple[int, Any]:
        """PUT/GET /_ilm/policy/<name>."""
        with self.lock:
            if method == "PUT":
                body = request.json()
                if not isinstance(body.get("policy", {}).get("phases"), dict):
                    return _error("x_content_parse_exception", "policy.phases is required", 400)
                self.policies[name] = body
                self.policy_versions[name] = self.policy_versions.get(name, 0) + 1
                return 200, {"acknowledged": True}
            if name not in self.policies:
                return _error("resource_not_found_exception", f"Lifecycle policy not found: {name}", 404)
            return 200, {name: {"version": self.policy_versions[name], "policy": self.policies[name]["policy"]}}

    def _matching(self, pattern: str) -> list[str]:
        """Existing index names matching a comma-separated wildcard pattern."""
        names = []
        for part in pattern.split(","):
            names.extend(n for n in self.indices if fnmatch.fnmatchcase(n, part))
        return sorted(set(names))

    def _search(self, target: str, body: dict[str, Any]) -> tuple[int, Any]:
        """POST /<index or alias>/_search with the subset the alert store sends: `ids`, or a bool `filter` of
        `term` and `range` (gte) clauses; `sort` on fields; `size`."""
        with self.lock:
            names = [n for n, i in self.indices.items()
                     if any(fnmatch.fnmatchcase(n, p) or p in i.aliases for p in target.split(","))]
            if not names and "*" not in target:
                return _error("index_not_found_exception", f"no such index [{target}]", 404)
            hits = [{"_index": n, "_id": doc_id, "_source": doc.source}
                    for n in sorted(names) for doc_id, doc in self.indices[n].docs.items()]
        hits = [h for h in hits if _matches(h, body.get("query") or {"match_all": {}})]
        for clause in reversed(body.get("sort") or []):
            (name, order), = clause.items()
            descending = (order.get("order") if isinstance(order, dict) else order) == "desc"
            hits.sort(key=lambda h: str(h["_source"].get(name) or ""), reverse=descending)
        size = int(body.get("size", 10))
        return 200, {"took": 1, "timed_out": False,
                     "hits": {"total": {"value": len(hits), "relation": "eq"}, "hits": hits[:size]}}

    def _get_aliases(self, pattern: str) -> tuple[int, Any]:
        """GET /<pattern>/_alias."""
        with self.lock:
            names = self._matching(pattern)
            if not names and "*" not in pattern:
                return _error("index_not_found_exception", f"no such index [{pattern}]", 404)
            return 200, {n: {"aliases": {a: {} for a in sorted(self.indices[n].aliases)}} for n in names}

    def _aliases(self, body: dict[str, Any]) -> tuple[int, Any]:
        """POST /_aliases with add/remove actions."""
        with self.lock:
            for action in body.get("actions", []):
                (verb, spec), = action.items()
                names = self._matching(spec["index"])
                if not names:
                    return _error("index_not_found_exception", f"no such index [{spec['index']}]", 404)
                for name in names:
                    if verb == "add":
                        self.indices[name].aliases.add(spec["alias"])
                    elif verb == "remove":
                        self.indices[name].aliases.discard(spec["alias"])
            return 200, {"acknowledged": True, "errors": False}

    def _put_mapping(self, pattern: str, body: dict[str, Any]) -> tuple[int, Any]:
        """PUT /<pattern>/_mapping: add fields, refuse type changes."""
        with self.lock:
            names = self._matching(pattern)
            if not names:
                return _error("index_not_found_exception", f"no such index [{pattern}]", 404)
            for name in names:
                mapping = self.indices[name].mapping
                for key, spec in body.get("properties", {}).items():
                    old = mapping.setdefault("properties", {}).get(key)
                    if old is not None and old.get("type", "object") != spec.get("type", "object"):
                        return _error("illegal_argument_exception",
                                      f"mapper [{key}] cannot be changed from type [{old.get('type')}] "
                                      f"to [{spec.get('type')}]", 400)
                    mapping["properties"][key] = spec
                for key in ("dynamic", "_source"):
                    if key in body:
                        mapping[key] = body[key]
            return 200, {"acknowledged": True}

    def _template_for(self, index: str) -> dict[str, Any] | None:
        """The highest-priority index template matching an index name."""
        best: tuple[int, dict[str, Any]] | None = None
        for body in self.templates.values():
            if any(fnmatch.fnmatchcase(index, p) for p in body["index_patterns"]):
                priority = int(body.get("priority", 0))
                if best is None or priority > best[0]:
                    best = (priority, body)
        return best[1] if best else None

    def _create_index(self, name: str) -> tuple[FakeIndex | None, str | None]:
        """Auto-create an index from its template, as the first bulk item for it does."""
        if not name or name != name.lower() or name.startswith(("_", "-", "+")):
            return None, f"Invalid index name [{name}]"
        template = self._template_for(name)
        index = FakeIndex()
        if template:
            spec = template["template"]
            index.mapping = json.loads(json.dumps(spec.get("mappings", {})))
            index.settings = _flat_settings(spec.get("settings", {}))
            index.aliases = set(spec.get("aliases", {}))
            parse = index.settings.get("index.lifecycle.parse_origination_date")
            if str(parse).lower() == "true" and not _ORIGINATION_RE.match(name):
                return None, f"index name [{name}] does not match pattern '^.*-(\\d{{4}}.\\d{{2}}.\\d{{2}})(-[\\d]+)?$'"
            if any(alias == name for alias in index.aliases):
                return None, f"alias [{name}] has the same name as the index"
        for other in self.indices.values():
            if name in other.aliases:
                return None, f"an alias named [{name}] already exists"
        self.indices[name] = index
        return index, None

    def _bulk(self, request: Recorded, default_index: str | None) -> tuple[int, Any]:
        """POST /_bulk: apply injected failures, then index each item."""
        self.held.set()
        self._released.wait()
        with self.lock:
            if self._bulk_failures:
                failure = self._bulk_failures.popleft()
                if failure == "drop":
                    return 0, "drop"
                kind = "es_rejected_execution_exception" if failure == 429 else "unavailable_shards_exception"
                return _error(kind, f"injected HTTP {failure}", int(failure))
            crash = self._crashes.popleft() if self._crashes else None
            try:
                lines = request.ndjson()
            except ValueError as err:
                return _error("x_content_parse_exception", f"bad NDJSON: {err}", 400)
            if len(lines) % 2:
                return _error("illegal_argument_exception", "The bulk request must be terminated by a newline", 400)
            items = []
            errors = False
            for number, (action, source) in enumerate(zip(lines[0::2], lines[1::2])):
                if crash is not None and number == crash[0]:
                    if crash[1] == "drop":
                        return 0, "drop"
                    return _error("node_closed_exception", "node closed mid-request", int(crash[1]))
                item = self._index_one(action, source, default_index)
                errors = errors or item["status"] >= 300
                items.append({"index": item})
            patterns = [p for raw in request.query.get("filter_path", []) for p in raw.split(",") if p]
            return 200, filter_path({"took": 1, "errors": errors, "items": items}, patterns)

    def _index_one(self, action: dict[str, Any], source: Any, default_index: str | None) -> dict[str, Any]:
        """Index one bulk item and return its per-item result."""
        (verb, meta), = action.items()
        name = meta.get("_index", default_index)
        doc_id = meta.get("_id")
        base = {"_index": name, "_id": doc_id}
        if verb != "index" or not doc_id:
            return {**base, "status": 400, "error": {"type": "action_request_validation_exception",
                                                     "reason": "expected an index action with an _id"}}
        failure = None
        if doc_id in self._always_fail:
            failure = self._always_fail[doc_id]
        elif self._item_failures.get(doc_id):
            failure = self._item_failures[doc_id].popleft()
        if failure:
            return {**base, "status": failure[0], "error": {"type": failure[1], "reason": "injected failure"}}
        index = self.indices.get(name)
        if index is None:
            index, problem = self._create_index(name)
            if index is None:
                return {**base, "status": 400, "error": {"type": "illegal_argument_exception", "reason": problem}}
        problem = check_document(index.mapping, source) if index.mapping else None
        if problem:
            return {**base, "status": 400, "error": {"type": "document_parsing_exception" if self.major >= 8
                                                     else "mapper_parsing_exception", "reason": problem}}
        old = index.docs.get(doc_id)
        version = old.version + 1 if old else 1
        index.docs[doc_id] = StoredDoc(source, version)
        return {**base, "_version": version, "result": "updated" if old else "created",
                "status": 200 if old else 201, "_shards": {"total": 1, "successful": 1, "failed": 0}}


def _matches(hit: dict[str, Any], query: dict[str, Any]) -> bool:
    """True when a hit satisfies the small query subset of _search (match_all, ids, bool filter of term/range)."""
    (kind, spec), = query.items()
    source = hit["_source"]
    if kind == "match_all":
        return True
    if kind == "ids":
        return hit["_id"] in spec.get("values", [])
    if kind == "term":
        (name, value), = spec.items()
        value = value.get("value") if isinstance(value, dict) else value
        return source.get(name) == value
    if kind == "range":
        (name, bounds), = spec.items()
        found = source.get(name)
        return found is not None and all(str(found) >= str(v) for k, v in bounds.items() if k == "gte")
    if kind == "bool":
        return all(_matches(hit, clause) for clause in spec.get("filter", []))
    raise AssertionError(f"fake Elasticsearch does not support the query {kind!r}")


class _Handler(BaseHTTPRequestHandler):
    """HTTP/1.1 keep-alive handler that delegates to the FakeElasticsearch it belongs to."""

    protocol_version = "HTTP/1.1"
    wbufsize = 1 << 16  # one send per response: avoids Nagle/delayed-ACK stalls on keep-alive
    fake: FakeElasticsearch

    def setup(self) -> None:
        """Disable Nagle on the accepted connection."""
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - silence the default log
        """Silence the default request log."""
        return

    def _handle(self) -> None:
        """Read, record and answer one request."""
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        if self.headers.get("Content-Encoding") == "gzip" and body:
            body = gzip.decompress(body)
        split = urlsplit(self.path)
        headers = {k.lower(): v for k, v in self.headers.items()}
        recorded = Recorded(self.command, split.path, parse_qs(split.query), headers, body)
        fake = self.fake
        with fake.lock:
            fake.requests.append(recorded)
        answer = fake.check_auth(headers) or fake.check_media_types(headers, bool(body))
        if answer is None:
            try:
                answer = fake.route(recorded)
            except (ValueError, KeyError, TypeError) as err:
                answer = _error("parse_exception", f"{type(err).__name__}: {err}", 400)
        status, payload = answer
        if payload == "drop":
            self.close_connection = True
            return
        accept = headers.get("accept", "")
        match = _COMPAT_RE.search(accept)
        mimetype = (f"application/vnd.elasticsearch+json;compatible-with={match.group(1)}"
                    if match else "application/json")
        data = json.dumps(payload).encode("utf-8") if payload is not None else b""
        self.send_response(status)
        self.send_header("Content-Type", mimetype)
        if fake.product_header:
            self.send_header("X-Elastic-Product", "Elasticsearch")
        if status == 401:
            self.send_header("WWW-Authenticate", 'ApiKey, Basic realm="security"')
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _handle


def make_tls_files(directory: Path) -> tuple[Path, Path, Path] | None:
    """A throw-away CA and a server certificate for 127.0.0.1 made with the openssl CLI, or None without it.

    Returns (ca.pem, server.pem, server.key).
    """
    openssl = shutil.which("openssl")
    if not openssl:
        return None
    ca, ca_key = directory / "ca.pem", directory / "ca.key"
    cert, key, csr, ext = directory / "server.pem", directory / "server.key", directory / "server.csr", directory / "ext.cnf"
    ext.write_text("subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n")
    commands = [
        [openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(ca_key), "-out", str(ca),
         "-days", "2", "-subj", "/CN=Stadssignaal test CA", "-addext", "basicConstraints=critical,CA:TRUE",
         "-addext", "keyUsage=critical,keyCertSign,cRLSign"],
        [openssl, "req", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(csr),
         "-subj", "/CN=127.0.0.1"],
        [openssl, "x509", "-req", "-in", str(csr), "-CA", str(ca), "-CAkey", str(ca_key), "-CAcreateserial",
         "-out", str(cert), "-days", "2", "-extfile", str(ext)],
    ]
    for command in commands:
        if subprocess.run(command, capture_output=True, timeout=60).returncode != 0:
            return None
    return ca, cert, key


def server_tls_context(cert: Path, key: Path) -> ssl.SSLContext:
    """A server-side TLS context for the fakes."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(str(cert), str(key))
    return context


def sample_signal(number: int, **changes: Any) -> dict[str, Any]:
    """An enriched signal shaped like the pipeline's output (see pipeline/README.md), for tests."""
    doc: dict[str, Any] = {
        "id": f"twitter:{number}", "channel": "twitter", "created_at": "2024-05-17T10:15:00+02:00",
        "text": "Weer een omleiding bij de Slotlaan, waar moet ik langs?", "author": "anon-3f2a",
        "url": f"https://x.example/status/{number}", "meta": {"lang_hint": "nl"}, "pii": [],
        "language": "nl", "topic": {"code": "verkeer", "label": "Verkeer en wegwerkzaamheden", "confidence": 0.82},
        "topics": [{"code": "verkeer", "label": "Verkeer en wegwerkzaamheden", "confidence": 0.82},
                   {"code": "overig", "label": "Overig", "confidence": 0.1}],
        "needs_review": False, "sentiment": {"label": "negative", "score": -0.6},
        "keywords": ["omleiding", "slotlaan"], "place": "Centrum", "model_version": "keywords-1",
        "enriched_at": "2024-05-17T08:15:01+00:00",
    }
    doc.update(changes)
    return doc


def sample_search(number: int, zero: bool = True) -> dict[str, Any]:
    """An enriched site search."""
    return sample_signal(number, id=f"site_search:{number}", channel="site_search", text="parkeer vergunning",
                         meta={"results": 0 if zero else 7}, author=None, url=None,
                         query={"normalized": "parkeer vergunning", "group": "parkeervergunning",
                                "subject": "parkeervergunning", "zero_result": zero})


def sample_alert(number: int, **changes: Any) -> dict[str, Any]:
    """An alert shaped like the brief's alert fields."""
    alert: dict[str, Any] = {
        "id": f"alert:{number}", "topic": "verkeer", "scope": {"type": "place", "value": "Centrum"},
        "start": "2024-05-17T08:00:00+00:00", "end": "2024-05-17T09:00:00+00:00", "observed": 42,
        "expected": 6.5, "ratio": 6.46, "p_value": 1.2e-9, "new_terms": ["omleiding", "slotlaan"],
        "examples": [{"id": "twitter:1", "text": "Weer een omleiding bij de Slotlaan"}],
        "link": "https://dashboard.example/alerts/1", "trigger": "spike",
    }
    alert.update(changes)
    return alert


def main() -> None:
    """Serve until interrupted (for `stadssignaal bench --sink es --es-url ...`)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=9200, help="0 picks a free port (printed)")
    parser.add_argument("--version", default="9.1.0", help="Elasticsearch version to pretend to be")
    args = parser.parse_args()
    with FakeElasticsearch(version=args.version, port=args.port) as fake:
        print(f"fake Elasticsearch {args.version} on {fake.url} (Ctrl-C to stop)", flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
