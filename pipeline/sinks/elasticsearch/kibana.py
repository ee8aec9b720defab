"""`stadssignaal dashboards install`: import the NDJSON saved objects in dashboards/ into Kibana.

Uses Kibana's saved objects import API over plain HTTP (standard library only):
`POST [/s/<space>]/api/saved_objects/_import?overwrite=true` with the file as multipart form data,
so running it again replaces the objects instead of failing on conflicts. A missing space is
created first. Credentials are sent as an `Authorization` header and never logged.
"""
from __future__ import annotations

import base64
import json
import logging
import re
import ssl
import uuid
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Callable
from urllib.error import HTTPError, URLError
from urllib.parse import quote, urlencode
from urllib.request import Request, urlopen

from pipeline.sinks.elasticsearch.config import EsConfigError, split_credentials

log = logging.getLogger(__name__)

DEFAULT_DASHBOARD_DIR = Path(__file__).resolve().parents[3] / "dashboards"
DEFAULT_SPACE = "default"
_SPACE_ID = re.compile(r"^[a-z0-9_-]+$")
_SECRETS = frozenset({"api_key", "password"})


class KibanaError(RuntimeError):
    """Kibana could not be reached or refused a request; the message says which and why."""


def space_id(name: str) -> str:
    """The space id for a space name: lower case, other characters than a-z 0-9 _ - become '-'."""
    slug = re.sub(r"[^a-z0-9_-]+", "-", name.strip().lower()).strip("-")
    if not slug or not _SPACE_ID.match(slug):
        raise KibanaError(f"cannot make a Kibana space id from {name!r}")
    return slug


@dataclass(frozen=True)
class KibanaConfig:
    """Where Kibana is and how to authenticate; `repr()` hides the API key and password."""

    url: str
    space: str | None = None
    api_key: str | None = None
    username: str | None = None
    password: str | None = None
    ca_file: str | None = None
    verify_certs: bool = True
    timeout: float = 30.0

    def __post_init__(self) -> None:
        """Move credentials out of the URL and check the auth settings."""
        try:
            url, user, password = split_credentials(self.url)
        except EsConfigError as err:
            raise KibanaError(str(err)) from None
        object.__setattr__(self, "url", url.rstrip("/"))
        object.__setattr__(self, "username", self.username or user)
        object.__setattr__(self, "password", self.password or password)
        if self.api_key and self.username:
            raise KibanaError("give either an API key or a user and password, not both")
        if bool(self.username) != bool(self.password):
            raise KibanaError("basic auth needs both a user and a password")

    def __repr__(self) -> str:
        """All settings, with the API key and password shown as ***."""
        shown = [f"{f.name}={('***' if f.name in _SECRETS and getattr(self, f.name) else getattr(self, f.name))!r}"
                 for f in fields(self)]
        return f"KibanaConfig({', '.join(shown)})"

    @property
    def space_id(self) -> str:
        """The target space id ('default' when none was given)."""
        return space_id(self.space) if self.space else DEFAULT_SPACE

    def auth_header(self) -> str | None:
        """The Authorization header value, or None without credentials."""
        if self.api_key:
            key = self.api_key
            if ":" in key:
                key = base64.b64encode(key.encode("utf-8")).decode("ascii")
            return f"ApiKey {key}"
        if self.username and self.password:
            token = base64.b64encode(f"{self.username}:{self.password}".encode("utf-8")).decode("ascii")
            return f"Basic {token}"
        return None


@dataclass
class ImportResult:
    """Kibana's answer for one NDJSON file."""

    file: str
    success: bool
    success_count: int
    errors: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class InstallReport:
    """What `install_dashboards` did."""

    space: str
    space_created: bool = False
    results: list[ImportResult] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when every file imported without errors."""
        return all(r.success for r in self.results)


def dashboard_files(directory: Path = DEFAULT_DASHBOARD_DIR) -> list[Path]:
    """The NDJSON files to import, sorted by name."""
    files = sorted(Path(directory).glob("*.ndjson"))
    if not files:
        raise KibanaError(f"no .ndjson files in {directory}")
    return files


def multipart_file(field_name: str, filename: str, content: bytes) -> tuple[bytes, str]:
    """A multipart/form-data body with one file; returns (body, content type)."""
    boundary = f"stadssignaal-{uuid.uuid4().hex}"
    head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"{field_name}\"; filename=\"{filename}\"\r\n"
            f"Content-Type: application/ndjson\r\n\r\n").encode("utf-8")
    tail = f"\r\n--{boundary}--\r\n".encode("utf-8")
    return head + content + tail, f"multipart/form-data; boundary={boundary}"


class KibanaClient:
    """Minimal Kibana HTTP client: JSON requests with kbn-xsrf, auth and TLS settings."""

    def __init__(self, config: KibanaConfig) -> None:
        """Prepare the TLS context (CA file, verification) for https URLs."""
        self.config = config
        self._context: ssl.SSLContext | None = None
        if config.url.startswith("https://"):
            self._context = ssl.create_default_context(cafile=config.ca_file)
            if not config.verify_certs:
                log.warning("TLS certificate verification is OFF for Kibana; use --ca-file instead")
                self._context.check_hostname = False
                self._context.verify_mode = ssl.CERT_NONE

    def space_path(self, path: str, space: str) -> str:
        """`path` inside `space` (the default space has no prefix)."""
        return path if space == DEFAULT_SPACE else f"/s/{quote(space)}{path}"

    def request(self, method: str, path: str, body: bytes | None = None, content_type: str | None = None,
                params: dict[str, str] | None = None) -> tuple[int, Any]:
        """Send one request; return (status, decoded JSON or text). Network failures raise KibanaError."""
        url = self.config.url + path + (f"?{urlencode(params)}" if params else "")
        headers = {"kbn-xsrf": "stadssignaal", "Accept": "application/json"}
        if content_type:
            headers["Content-Type"] = content_type
        auth = self.config.auth_header()
        if auth:
            headers["Authorization"] = auth
        req = Request(url, data=body, method=method, headers=headers)
        try:
            with urlopen(req, timeout=self.config.timeout, context=self._context) as response:
                status, raw = response.status, response.read()
        except HTTPError as err:
            status, raw = err.code, err.read()
        except (URLError, OSError) as err:
            reason = getattr(err, "reason", err)
            raise KibanaError(f"cannot reach Kibana at {self.config.url}: {reason}") from None
        text = raw.decode("utf-8", errors="replace")
        try:
            return status, json.loads(text) if text else None
        except ValueError:
            return status, text

    def ensure_space(self, space: str, name: str) -> bool:
        """Create `space` unless it exists; True when it was created."""
        if space == DEFAULT_SPACE:
            return False
        status, body = self.request("GET", f"/api/spaces/space/{quote(space)}")
        if status == 200:
            return False
        if status != 404:
            raise KibanaError(f"checking space {space!r} failed: HTTP {status} {_message(body)}")
        payload = json.dumps({"id": space, "name": name, "description": "Stadssignaal dashboards"}).encode("utf-8")
        status, body = self.request("POST", "/api/spaces/space", payload, "application/json")
        if status not in (200, 201):
            raise KibanaError(f"creating space {space!r} failed: HTTP {status} {_message(body)}")
        return True

    def import_file(self, path: Path, space: str) -> ImportResult:
        """Import one NDJSON file with overwrite=true."""
        body, content_type = multipart_file("file", path.name, path.read_bytes())
        status, answer = self.request("POST", self.space_path("/api/saved_objects/_import", space), body,
                                      content_type, {"overwrite": "true"})
        if status != 200 or not isinstance(answer, dict):
            raise KibanaError(f"importing {path.name} failed: HTTP {status} {_message(answer)}")
        return ImportResult(path.name, bool(answer.get("success")), int(answer.get("successCount", 0)),
                            list(answer.get("errors") or []))


def _message(body: Any) -> str:
    """A short message from a Kibana error body."""
    if isinstance(body, dict):
        return str(body.get("message") or body.get("error") or body)[:300]
    return str(body or "")[:300]


def install_dashboards(config: KibanaConfig, directory: Path = DEFAULT_DASHBOARD_DIR,
                       echo: Callable[[str], None] = print) -> InstallReport:
    """Create the space if needed and import every NDJSON file; idempotent thanks to overwrite=true."""
    files = dashboard_files(directory)
    client = KibanaClient(config)
    report = InstallReport(space=config.space_id)
    report.space_created = client.ensure_space(config.space_id, config.space or DEFAULT_SPACE)
    if report.space_created:
        echo(f"created Kibana space {config.space_id!r}")
    for path in files:
        result = client.import_file(path, config.space_id)
        report.results.append(result)
        if result.success:
            echo(f"ok  {path.name}: {result.success_count} objects")
        else:
            echo(f"ERR {path.name}: {result.success_count} imported, {len(result.errors)} errors")
            for error in result.errors[:10]:
                echo(f"    {error.get('type')} {error.get('id')}: {json.dumps(error.get('error'))[:300]}")
    return report
