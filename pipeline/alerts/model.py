"""What the detector emits: an Alert (one per episode) and AlertEvents (opened, updated, closed)."""
from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from pipeline.core.timeutil import iso_z

EVENT_KINDS = ("opened", "updated", "closed")
TRIGGERS = ("volume", "negative_share")


def parse_iso(value: str | None) -> datetime | None:
    """Inverse of iso_z (accepts any offset)."""
    if not value:
        return None
    text = value[:-1] + "+00:00" if value.endswith("Z") else value
    return datetime.fromisoformat(text)


@dataclass(slots=True)
class Example:
    """One redacted example signal shown with an alert."""

    id: str
    text: str
    channel: str | None = None
    created_at: str | None = None
    sentiment: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """The JSON-ready form."""
        return {"id": self.id, "text": self.text, "channel": self.channel,
                "created_at": self.created_at, "sentiment": self.sentiment}


@dataclass(slots=True)
class Alert:
    """One spike episode: what, where, how far above normal, since when, with context to act on."""

    id: str
    topic: str
    scope: dict[str, str]
    start: datetime
    end: datetime | None
    observed: int
    expected: float
    p_value: float
    trigger: str
    new_terms: list[str] = field(default_factory=list)
    examples: list[Example] = field(default_factory=list)
    link: str = ""
    updated_at: datetime | None = None
    related_scopes: list[dict[str, str]] = field(default_factory=list)
    negative_share: float | None = None
    severity: str = "alarm"                 # melding | waarschuwing | alarm (unclassified alerts route as alarms)
    band: list[float] | None = None         # the usual range of `observed` (expected +- 2 sd), for the dashboard

    def copy(self) -> "Alert":
        """An independent copy (events carry the alert as it was when they happened)."""
        return copy.deepcopy(self)

    @property
    def ratio(self) -> float:
        """Observed over expected."""
        return self.observed / self.expected if self.expected > 0 else float("inf")

    @property
    def status(self) -> str:
        """'open' while the episode runs, 'closed' after."""
        return "open" if self.end is None else "closed"

    def to_dict(self) -> dict[str, Any]:
        """The JSON-ready form stored, listed and sent to notifiers."""
        return {
            "id": self.id, "topic": self.topic, "scope": dict(self.scope), "status": self.status,
            "start": iso_z(self.start), "end": iso_z(self.end), "observed": self.observed,
            "expected": round(self.expected, 2), "ratio": round(self.ratio, 2) if self.expected > 0 else None,
            "p_value": float(f"{self.p_value:.3g}"), "trigger": self.trigger, "new_terms": list(self.new_terms),
            "examples": [e.to_dict() for e in self.examples], "link": self.link,
            "updated_at": iso_z(self.updated_at), "related_scopes": [dict(s) for s in self.related_scopes],
            "negative_share": None if self.negative_share is None else round(self.negative_share, 3),
            "severity": self.severity, "band": None if self.band is None else [round(v, 2) for v in self.band],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Alert":
        """Rebuild an Alert from to_dict() output."""
        return cls(
            id=data["id"], topic=data["topic"], scope=dict(data["scope"]), start=parse_iso(data["start"]),
            end=parse_iso(data.get("end")), observed=int(data["observed"]), expected=float(data["expected"]),
            p_value=float(data["p_value"]), trigger=data["trigger"], new_terms=list(data.get("new_terms") or []),
            examples=[Example(**e) for e in data.get("examples") or []], link=data.get("link", ""),
            updated_at=parse_iso(data.get("updated_at")),
            related_scopes=[dict(s) for s in data.get("related_scopes") or []],
            negative_share=data.get("negative_share"), severity=data.get("severity") or "alarm",
            band=None if data.get("band") is None else [float(v) for v in data["band"]],
        )


@dataclass(slots=True)
class AlertEvent:
    """A change in an episode: `kind` is opened, updated or closed; `at` is the event time it was decided."""

    kind: str
    alert: Alert
    at: datetime

    def to_dict(self) -> dict[str, Any]:
        """The JSON-ready form (the alert plus the kind and time of the change)."""
        return {"kind": self.kind, "at": iso_z(self.at), "alert": self.alert.to_dict()}


def dashboard_link(base: str, topic: str, scope: dict[str, str], start: datetime, end: datetime | None) -> str:
    """A link to the dashboard filtered on the alert: topic, place or channel, and the time range."""
    params: dict[str, str] = {"topic": topic}
    if scope.get("type") in ("place", "channel"):
        params[scope["type"]] = scope["value"]
    params["from"] = iso_z(start) or ""
    if end is not None:
        params["to"] = iso_z(end) or ""
    return f"{base.rstrip('/')}/?{urlencode(params)}"
