"""Connection, naming and flow-control settings for the Elasticsearch sink, with secrets kept out of logs."""
from __future__ import annotations

import os
from dataclasses import dataclass, fields, replace
from typing import Any, Mapping
from urllib.parse import unquote, urlsplit, urlunsplit

DEFAULT_URL = "http://localhost:9200"
DEFAULT_SIGNALS_PREFIX = "stadssignaal-signals"
DEFAULT_ALERTS_PREFIX = "stadssignaal-alerts"
DEFAULT_DEADLETTERS_PREFIX = "stadssignaal-deadletters"
DEFAULT_POLICY = "stadssignaal-retention"
DEFAULT_RETENTION_DAYS = 90

_SECRET_FIELDS = frozenset({"api_key", "password"})
_ENV_PREFIX = "STADSSIGNAAL_ES_"


class EsConfigError(ValueError):
    """A setting that cannot work (bad URL, conflicting auth, impossible limits)."""


def split_credentials(url: str) -> tuple[str, str | None, str | None]:
    """Remove `user:password@` from a URL so it can never be logged; return (url, user, password)."""
    parts = urlsplit(url.strip())
    if not parts.scheme or not parts.hostname:
        raise EsConfigError(f"not an http(s) URL: {redact_url(url)!r}")
    if parts.scheme not in ("http", "https"):
        raise EsConfigError(f"unsupported scheme {parts.scheme!r}; use http or https")
    if parts.username is None and parts.password is None:
        return urlunsplit(parts), None, None
    host = parts.hostname if ":" not in parts.hostname else f"[{parts.hostname}]"
    netloc = host if parts.port is None else f"{host}:{parts.port}"
    clean = urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))
    user = unquote(parts.username) if parts.username else None
    password = unquote(parts.password) if parts.password else None
    return clean, user, password


def redact_url(url: str) -> str:
    """The URL with any user-info replaced by '***', for messages."""
    head, sep, tail = url.partition("://")
    if not sep or "@" not in tail.split("/", 1)[0]:
        return url
    return f"{head}://***@{tail.split('@', 1)[1]}"


@dataclass(frozen=True)
class EsConfig:
    """Everything the sink and `es setup` need; `repr()` never shows the API key or password.

    Index names: documents go to daily indices `<prefix>-YYYY.MM.DD` (by the document's own date,
    so a re-delivered signal always lands in the same index and overwrites itself); the read alias
    is `<prefix>` itself.
    """

    urls: tuple[str, ...] = (DEFAULT_URL,)
    api_key: str | None = None
    username: str | None = None
    password: str | None = None
    ca_file: str | None = None
    verify_certs: bool = True
    signals_prefix: str = DEFAULT_SIGNALS_PREFIX
    alerts_prefix: str = DEFAULT_ALERTS_PREFIX
    deadletters_prefix: str = DEFAULT_DEADLETTERS_PREFIX
    policy_name: str = DEFAULT_POLICY
    retention_days: int = DEFAULT_RETENTION_DAYS
    batch_size: int = 500
    max_batch_bytes: int = 8 * 1024 * 1024
    flush_interval: float = 0.25
    max_buffer: int = 10_000
    max_buffer_bytes: int = 64 * 1024 * 1024
    max_retries: int | None = 8
    backoff_initial: float = 0.5
    backoff_max: float = 30.0
    request_timeout: float = 30.0
    compress: bool = False
    require_template: bool = True

    def __post_init__(self) -> None:
        """Split comma-separated URLs, move credentials out of URLs, then validate."""
        urls = (self.urls,) if isinstance(self.urls, str) else tuple(self.urls)
        clean: list[str] = []
        user, password = self.username, self.password
        for raw in urls:
            for part in str(raw).split(","):
                if not part.strip():
                    continue
                url, url_user, url_password = split_credentials(part)
                clean.append(url.rstrip("/"))
                user = user or url_user
                password = password or url_password
        if not clean:
            raise EsConfigError("at least one Elasticsearch URL is needed")
        object.__setattr__(self, "urls", tuple(clean))
        object.__setattr__(self, "username", user)
        object.__setattr__(self, "password", password)
        self._check()

    def _check(self) -> None:
        """Refuse settings that cannot work, with a message saying which."""
        if self.api_key and (self.username or self.password):
            raise EsConfigError("give either an API key or a user and password, not both")
        if bool(self.username) != bool(self.password):
            raise EsConfigError("basic auth needs both a user and a password")
        if self.ca_file and not os.path.isfile(self.ca_file):
            raise EsConfigError(f"CA file not found: {self.ca_file}")
        for name in ("batch_size", "max_buffer", "max_batch_bytes", "max_buffer_bytes", "retention_days"):
            if int(getattr(self, name)) < 1:
                raise EsConfigError(f"{name} must be at least 1")
        if self.max_buffer < self.batch_size:
            raise EsConfigError("max_buffer must be at least batch_size")
        if self.max_retries is not None and self.max_retries < 0:
            raise EsConfigError("max_retries must be >= 0, or None to retry until Elasticsearch answers")
        if self.flush_interval <= 0 or self.backoff_initial < 0 or self.backoff_max < self.backoff_initial:
            raise EsConfigError("flush_interval must be > 0 and 0 <= backoff_initial <= backoff_max")
        for prefix in (self.signals_prefix, self.alerts_prefix, self.deadletters_prefix, self.policy_name):
            if not prefix or prefix != prefix.lower() or any(c in prefix for c in ' "*\\<|,>/?#:'):
                raise EsConfigError(f"invalid index or policy name {prefix!r}: lower case, no spaces or */?,#:")

    def __repr__(self) -> str:
        """All settings, with the API key and password shown as ***."""
        shown = []
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name in _SECRET_FIELDS and value:
                value = "***"
            shown.append(f"{f.name}={value!r}")
        return f"EsConfig({', '.join(shown)})"

    __str__ = __repr__

    def prefix_for(self, kind: str) -> str:
        """The index prefix (and read alias) of 'signals', 'alerts' or 'deadletters'."""
        prefixes = {"signals": self.signals_prefix, "alerts": self.alerts_prefix,
                    "deadletters": self.deadletters_prefix}
        if kind not in prefixes:
            raise ValueError(f"kind must be one of {', '.join(prefixes)}")
        return prefixes[kind]

    @property
    def auth_kind(self) -> str:
        """'api_key', 'basic' or 'none' (for messages; never the secret itself)."""
        if self.api_key:
            return "api_key"
        return "basic" if self.username else "none"

    def with_overrides(self, **changes: Any) -> "EsConfig":
        """A copy with some fields changed (None values are ignored)."""
        return replace(self, **{k: v for k, v in changes.items() if v is not None})

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> "EsConfig":
        """Build from STADSSIGNAAL_ES_* variables (URL, API_KEY, USER, PASSWORD, CA_FILE, RETENTION_DAYS,
        BATCH_SIZE, FLUSH_INTERVAL, MAX_BUFFER, MAX_RETRIES), then apply non-None `overrides`."""
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        mapping: dict[str, tuple[str, type]] = {
            "URL": ("urls", str), "API_KEY": ("api_key", str), "USER": ("username", str),
            "PASSWORD": ("password", str), "CA_FILE": ("ca_file", str),
            "RETENTION_DAYS": ("retention_days", int), "BATCH_SIZE": ("batch_size", int),
            "FLUSH_INTERVAL": ("flush_interval", float), "MAX_BUFFER": ("max_buffer", int),
            "MAX_RETRIES": ("max_retries", int), "SIGNALS_PREFIX": ("signals_prefix", str),
            "ALERTS_PREFIX": ("alerts_prefix", str), "DEADLETTERS_PREFIX": ("deadletters_prefix", str),
        }
        for suffix, (name, kind) in mapping.items():
            raw = env.get(_ENV_PREFIX + suffix)
            if raw is None or raw == "":
                continue
            try:
                values[name] = kind(raw)
            except ValueError:
                raise EsConfigError(f"{_ENV_PREFIX}{suffix} must be a {kind.__name__}") from None
        values.update({k: v for k, v in overrides.items() if v is not None})
        if values.get("max_retries") == -1:
            values["max_retries"] = None
        return cls(**values)
