"""Episodes: one alert per topic while a spike lasts (opened, updated while it grows, closed), plus cooldown."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from pipeline.alerts.config import DetectorConfig
from pipeline.alerts.model import Alert, AlertEvent, Example, dashboard_link, iso_z, parse_iso


@dataclass(slots=True)
class Finding:
    """One improbable count (or negative share) in one scope, ready to become or extend an alert."""

    scope_key: str
    scope: dict[str, str]
    span: int
    observed: int
    expected: float
    p_value: float
    trigger: str
    start: datetime
    level: int
    negative_share: float | None = None
    spread: float = 0.0                     # modelled standard deviation of `observed`


@dataclass(slots=True)
class Episode:
    """The running state of one open alert."""

    alert: Alert
    scope_key: str
    last_elevated_end: datetime
    emitted_observed: int
    quiet: int = 0
    pending_observed: int = 0
    pending_expected: float = 0.0
    early_window: int | None = None   # opened before this window closed: its totals are replaced at close

    def to_state(self) -> dict[str, Any]:
        """JSON-ready state."""
        return {"alert": self.alert.to_dict(), "scope_key": self.scope_key,
                "last_elevated_end": iso_z(self.last_elevated_end), "emitted_observed": self.emitted_observed,
                "quiet": self.quiet, "pending_observed": self.pending_observed,
                "pending_expected": self.pending_expected, "expected_exact": self.alert.expected,
                "p_value_exact": self.alert.p_value, "negative_share_exact": self.alert.negative_share,
                "band_exact": self.alert.band,
                "early_window": self.early_window}

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> "Episode":
        """Rebuild from to_state output."""
        alert = Alert.from_dict(state["alert"])
        alert.expected = float(state.get("expected_exact", alert.expected))
        alert.p_value = float(state.get("p_value_exact", alert.p_value))
        alert.negative_share = state.get("negative_share_exact", alert.negative_share)
        alert.band = state.get("band_exact", alert.band)
        return cls(alert=alert, scope_key=state["scope_key"],
                   last_elevated_end=parse_iso(state["last_elevated_end"]),
                   emitted_observed=int(state["emitted_observed"]), quiet=int(state["quiet"]),
                   pending_observed=int(state["pending_observed"]),
                   pending_expected=float(state["pending_expected"]), early_window=state.get("early_window"))


SEVERITIES = ("melding", "waarschuwing", "alarm")


def severity_of(config: DetectorConfig, p_value: float, ratio: float) -> str:
    """melding, waarschuwing or alarm from how improbable and how large the rise is."""
    if p_value <= config.p_threshold * config.severity_alarm_factor and ratio >= config.severity_alarm_ratio:
        return "alarm"
    if p_value <= config.p_threshold * config.severity_warning_factor or ratio >= config.severity_alarm_ratio:
        return "waarschuwing"
    return "melding"


def _escalate(alert: Alert, config: DetectorConfig) -> None:
    """Raise the alert's severity when its p-value or ratio now warrants it (never lower it)."""
    ratio = alert.observed / alert.expected if alert.expected > 0 else float("inf")
    level = severity_of(config, alert.p_value, ratio)
    if SEVERITIES.index(level) > SEVERITIES.index(alert.severity):
        alert.severity = level


def best_finding(findings: list[Finding]) -> Finding:
    """The finding an alert is about: volume before negative share, then the smallest p, then most specific."""
    return min(findings, key=lambda f: (f.trigger != "volume", f.p_value, -f.level, f.scope_key))


def episode_id(topic: str, start: datetime) -> str:
    """A stable id: the topic and the start window, so a replay produces the same ids."""
    return f"{topic}-{start.astimezone(timezone.utc):%Y%m%dT%H%MZ}"


class EpisodeTracker:
    """Opens, grows and closes one episode per topic and enforces the cooldown after it closes."""

    def __init__(self, config: DetectorConfig) -> None:
        """No open episodes, no cooldowns."""
        self.config = config
        self.open: dict[str, Episode] = {}
        self.cooldown_until: dict[str, datetime] = {}
        self.last_closed: dict[str, tuple[datetime, datetime]] = {}
        self.suppressed = 0

    def covers(self, topic: str, start: datetime, end: datetime) -> bool:
        """True when the open or the last closed episode of `topic` overlaps [start, end)."""
        episode = self.open.get(topic)
        if episode is not None and episode.alert.start < end:
            return True
        span = self.last_closed.get(topic)
        return span is not None and span[0] < end and start < span[1]

    def in_cooldown(self, topic: str, now: datetime) -> bool:
        """True while a closed episode of `topic` still blocks a new one."""
        until = self.cooldown_until.get(topic)
        return until is not None and now < until

    def open_episode(self, topic: str, finding: Finding, related: list[Finding], now: datetime,
                     examples: list[dict[str, Any]], terms: list[str]) -> AlertEvent:
        """Start an episode from its best finding."""
        cfg = self.config
        alert = Alert(
            id=episode_id(topic, finding.start), topic=topic, scope=dict(finding.scope), start=finding.start,
            end=None, observed=finding.observed, expected=finding.expected, p_value=finding.p_value,
            trigger=finding.trigger, new_terms=list(terms), examples=[Example(**e) for e in examples],
            link=dashboard_link(cfg.dashboard_url, topic, finding.scope, finding.start, None), updated_at=now,
            related_scopes=_related(related, finding), negative_share=finding.negative_share, severity="melding",
            band=[max(0.0, finding.expected - 2 * finding.spread), finding.expected + 2 * finding.spread],
        )
        _escalate(alert, cfg)
        self.open[topic] = Episode(alert=alert, scope_key=finding.scope_key, last_elevated_end=now,
                                   emitted_observed=finding.observed)
        return AlertEvent("opened", alert.copy(), now)

    def continue_episode(self, topic: str, now: datetime, observed: int, expected: float, elevated: bool,
                         findings: list[Finding], examples: list[dict[str, Any]], terms: list[str],
                         totals: tuple[int, float] | None = None) -> AlertEvent | None:
        """Advance an open episode by one window; returns an 'updated' or 'closed' event when there is one.

        `totals` replaces the episode's observed/expected (used when it opened before its first window closed).
        """
        cfg = self.config
        episode = self.open[topic]
        alert = episode.alert
        if totals is not None:
            alert.observed, alert.expected = totals
            episode.early_window = None
            observed, expected = 0, 0.0
            elevated = True
        if not elevated:
            episode.quiet += 1
            episode.pending_observed += observed
            episode.pending_expected += expected
            if episode.quiet < cfg.quiet_windows_to_close:
                return None
            del self.open[topic]
            alert.end = episode.last_elevated_end
            alert.updated_at = now
            alert.link = dashboard_link(cfg.dashboard_url, topic, alert.scope, alert.start, alert.end)
            self.cooldown_until[topic] = alert.end + timedelta(minutes=cfg.cooldown_minutes)
            self.last_closed[topic] = (alert.start, alert.end)
            return AlertEvent("closed", alert.copy(), now)
        before = alert.expected
        alert.observed += episode.pending_observed + observed
        alert.expected += episode.pending_expected + expected
        if alert.band is not None and before > 0:
            alert.band = [v * alert.expected / before for v in alert.band]
        episode.quiet = episode.pending_observed = 0
        episode.pending_expected = 0.0
        episode.last_elevated_end = now
        for finding in findings:
            if finding.scope_key == episode.scope_key:
                alert.p_value = min(alert.p_value, finding.p_value)
            if finding.negative_share is not None:
                alert.negative_share = finding.negative_share
        _escalate(alert, cfg)
        known = {(s["type"], s["value"]) for s in alert.related_scopes} | {(alert.scope["type"], alert.scope["value"])}
        for finding in sorted(findings, key=lambda f: (f.p_value, f.scope_key)):
            if (finding.scope["type"], finding.scope["value"]) not in known:
                alert.related_scopes.append(dict(finding.scope))
                known.add((finding.scope["type"], finding.scope["value"]))
        if alert.observed < episode.emitted_observed * (1 + cfg.update_growth):
            return None
        episode.emitted_observed = alert.observed
        _merge_examples(alert, examples, cfg.max_examples)
        alert.new_terms = list(dict.fromkeys(alert.new_terms + terms))[: cfg.max_new_terms]
        alert.updated_at = now
        return AlertEvent("updated", alert.copy(), now)

    def to_state(self) -> dict[str, Any]:
        """JSON-ready state."""
        return {"open": {t: e.to_state() for t, e in self.open.items()},
                "cooldown_until": {t: iso_z(m) for t, m in self.cooldown_until.items()},
                "last_closed": {t: [iso_z(a), iso_z(b)] for t, (a, b) in self.last_closed.items()},
                "suppressed": self.suppressed}

    def load_state(self, state: dict[str, Any]) -> None:
        """Restore from to_state output."""
        self.open = {t: Episode.from_state(e) for t, e in (state.get("open") or {}).items()}
        self.cooldown_until = {t: parse_iso(m) for t, m in (state.get("cooldown_until") or {}).items()}
        self.last_closed = {t: (parse_iso(a), parse_iso(b)) for t, (a, b) in (state.get("last_closed") or {}).items()}
        self.suppressed = int(state.get("suppressed", 0))


def _related(findings: list[Finding], chosen: Finding) -> list[dict[str, str]]:
    """The other scopes that alerted with the chosen one, most improbable first."""
    seen: set[tuple[str, str]] = {(chosen.scope["type"], chosen.scope["value"])}
    out = []
    for finding in sorted(findings, key=lambda f: (f.p_value, f.scope_key)):
        key = (finding.scope["type"], finding.scope["value"])
        if key not in seen:
            seen.add(key)
            out.append(dict(finding.scope))
    return out


def _merge_examples(alert: Alert, fresh: list[dict[str, Any]], limit: int) -> None:
    """Keep the examples already shown and fill up to `limit` with fresh ones (no repeated ids or texts)."""
    ids = {e.id for e in alert.examples}
    texts = {e.text for e in alert.examples}
    for item in fresh:
        if len(alert.examples) >= limit:
            break
        if item["id"] in ids or item["text"] in texts:
            continue
        alert.examples.append(Example(**item))
        ids.add(item["id"])
        texts.add(item["text"])
