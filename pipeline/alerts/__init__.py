"""Spike alerts: the pure detector core (windows, seasonal baselines, tests, episodes)."""
from pipeline.alerts.config import DetectorConfig, config_from_settings
from pipeline.alerts.detector import SpikeDetector
from pipeline.alerts.model import Alert, AlertEvent, Example

__all__ = ["Alert", "AlertEvent", "DetectorConfig", "Example", "SpikeDetector", "config_from_settings"]
