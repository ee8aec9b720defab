"""Notification settings: where alerts go (webhook, Teams, Slack/Mattermost, e-mail), for which topics and events."""
from __future__ import annotations

import dataclasses
import logging
import os
from dataclasses import dataclass, field
from typing import Any, Mapping

log = logging.getLogger(__name__)

KINDS = ("webhook", "teams", "slack", "mattermost", "email")
EVENT_KINDS = ("opened", "updated", "closed")
SEVERITIES = ("melding", "waarschuwing", "alarm")


@dataclass(slots=True)
class NotifyTarget:
    """One destination. `topics` holds topic codes or "*"; `events` the episode changes that are sent."""

    name: str
    kind: str
    url: str = ""
    topics: list[str] = field(default_factory=lambda: ["*"])
    events: list[str] = field(default_factory=lambda: ["opened", "closed"])
    severities: list[str] = field(default_factory=lambda: ["alarm"])   # melding | waarschuwing | alarm
    headers: dict[str, str] = field(default_factory=dict)
    timeout: float = 10.0
    smtp_host: str = "localhost"
    smtp_port: int = 25
    smtp_starttls: bool = False
    smtp_ssl: bool = False
    smtp_username: str = ""
    smtp_password_env: str = ""          # name of the environment variable holding the password
    sender: str = "stadssignaal@localhost"
    recipients: list[str] = field(default_factory=list)

    def validate(self) -> "NotifyTarget":
        """Check the target; raise ValueError naming the problem."""
        if self.kind not in KINDS:
            raise ValueError(f"notify target {self.name!r}: kind must be one of {KINDS}, got {self.kind!r}")
        if self.kind != "email" and not self.url.startswith(("http://", "https://")):
            raise ValueError(f"notify target {self.name!r}: url must start with http:// or https://")
        if self.kind == "email" and not self.recipients:
            raise ValueError(f"notify target {self.name!r}: e-mail needs at least one recipient")
        bad = set(self.severities) - set(SEVERITIES)
        if bad:
            raise ValueError(f"notify target {self.name!r}: unknown severity {sorted(bad)}; use {SEVERITIES}")
        unknown = set(self.events) - set(EVENT_KINDS)
        if unknown:
            raise ValueError(f"notify target {self.name!r}: unknown event kind(s) {sorted(unknown)}")
        return self

    def wants(self, topic: str, kind: str, severity: str = "alarm") -> bool:
        """True when this target is routed alerts of `topic` and `severity` for episode change `kind`."""
        return kind in self.events and severity in self.severities and ("*" in self.topics or topic in self.topics)

    @property
    def smtp_password(self) -> str:
        """The SMTP password from the environment (never stored in the settings file)."""
        return os.environ.get(self.smtp_password_env, "") if self.smtp_password_env else ""


@dataclass(slots=True)
class NotifyConfig:
    """All targets plus delivery behaviour (retries with exponential backoff, a bounded queue)."""

    targets: list[NotifyTarget] = field(default_factory=list)
    max_attempts: int = 5
    backoff_seconds: float = 2.0
    backoff_max_seconds: float = 300.0
    queue_size: int = 1000
    dashboard_url: str = ""              # makes relative alert links absolute in messages

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any] | None) -> "NotifyConfig":
        """Build from a dict such as the `[alerts.notify]` TOML table; bad targets are logged and skipped."""
        data = dict(data or {})
        names = {f.name for f in dataclasses.fields(cls)} - {"targets"}
        kwargs = {k: v for k, v in data.items() if k in names}
        targets = []
        target_fields = {f.name for f in dataclasses.fields(NotifyTarget)}
        for i, raw in enumerate(data.get("targets") or []):
            try:
                if not isinstance(raw, Mapping):
                    raise ValueError(f"notify target #{i + 1} must be a table")
                extra = set(raw) - target_fields
                if extra:
                    log.warning("notify target #%d: ignoring unknown key(s) %s", i + 1, ", ".join(sorted(extra)))
                item = {k: v for k, v in raw.items() if k in target_fields}
                item.setdefault("name", f"{item.get('kind', 'target')}-{i + 1}")
                targets.append(NotifyTarget(**item).validate())
            except (TypeError, ValueError) as err:
                log.error("notify settings: %s; this target is skipped", err)
        return cls(targets=targets, **kwargs)


def notify_config_from_settings(settings: Any) -> NotifyConfig:
    """Read `alerts.notify` from the settings (a dict or model) when present, else no targets."""
    raw = getattr(settings, "alerts", None)
    if hasattr(raw, "model_dump"):
        raw = raw.model_dump()
    notify = raw.get("notify") if isinstance(raw, Mapping) else None
    return NotifyConfig.from_mapping(notify)
