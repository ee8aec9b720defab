"""Severity levels on alerts (melding, waarschuwing, alarm), their band, and per-level notification routing."""
from __future__ import annotations

from datetime import datetime, timezone

from pipeline.alerts import DetectorConfig
from pipeline.alerts.episodes import EpisodeTracker, Finding, severity_of
from pipeline.alerts.model import Alert
from pipeline.notify.config import NotifyConfig

T0 = datetime(2026, 3, 3, 14, 0, tzinfo=timezone.utc)


def _finding(observed: int, expected: float, p_value: float) -> Finding:
    return Finding(scope_key="verkeer|topic|verkeer", scope={"type": "topic", "value": "verkeer"}, span=1,
                   observed=observed, expected=expected, p_value=p_value, trigger="volume", start=T0, level=1,
                   spread=2.0)


def test_severity_follows_probability_and_size() -> None:
    cfg = DetectorConfig()
    assert severity_of(cfg, 5e-6, 2.2) == "melding"
    assert severity_of(cfg, 5e-8, 2.2) == "waarschuwing"
    assert severity_of(cfg, 5e-6, 3.5) == "waarschuwing"
    assert severity_of(cfg, 1e-10, 3.5) == "alarm"
    assert severity_of(cfg, 1e-10, 2.5) == "waarschuwing"


def test_an_episode_escalates_but_never_drops_and_carries_its_band() -> None:
    tracker = EpisodeTracker(DetectorConfig())
    opened = tracker.open_episode("verkeer", _finding(12, 5.0, 5e-6), [], T0, [], [])
    assert opened.alert.severity == "melding"
    assert opened.alert.band == [1.0, 9.0]
    later = tracker.continue_episode("verkeer", T0, 40, 5.0, True, [_finding(52, 10.0, 1e-12)], [], [])
    assert later is not None and later.alert.severity == "alarm"
    assert later.alert.band == [2.0, 18.0]                 # scaled with the expected count
    tracker.continue_episode("verkeer", T0, 5, 5.0, True, [_finding(5, 5.0, 0.4)], [], [])
    assert tracker.open["verkeer"].alert.severity == "alarm"
    assert Alert.from_dict(later.alert.to_dict()).severity == "alarm"


def test_targets_page_only_alarms_unless_configured() -> None:
    config = NotifyConfig.from_mapping({"targets": [
        {"kind": "webhook", "url": "https://a.example/hook"},
        {"kind": "webhook", "url": "https://b.example/hook", "severities": ["waarschuwing", "alarm"]},
        {"kind": "webhook", "url": "https://c.example/hook", "severities": ["ernstig"]},
    ]})
    pager, desk = config.targets                            # the unknown severity is rejected
    assert pager.wants("verkeer", "opened", "alarm") and not pager.wants("verkeer", "opened", "waarschuwing")
    assert desk.wants("verkeer", "opened", "waarschuwing") and not desk.wants("verkeer", "opened", "melding")
