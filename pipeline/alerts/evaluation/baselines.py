"""The simple methods alerts are compared with: a static count threshold (what a Kibana threshold rule does)
and a rolling z-score over the last 24 hours (what many listening tools do). Both see topic counts per window."""
from __future__ import annotations

import math
from collections import deque
from datetime import datetime, timezone

import numpy as np

from pipeline.alerts.evaluation.scoring import Opening


def topic_window_counts(docs: list[dict], window_seconds: int) -> tuple[int, dict[str, np.ndarray]]:
    """Count docs per topic per window: (index of the first window, {topic: counts})."""
    stamps: dict[str, list[int]] = {}
    for doc in docs:
        ts = datetime.fromisoformat(doc["created_at"]).timestamp()
        stamps.setdefault(doc["topic"]["code"], []).append(int(ts // window_seconds))
    first = min(min(v) for v in stamps.values())
    last = max(max(v) for v in stamps.values())
    out = {}
    for topic, idx in stamps.items():
        out[topic] = np.bincount(np.asarray(idx) - first, minlength=last - first + 1)
    return first, out


def episodes_from_flags(topic: str, flags: np.ndarray, first_window: int, window_seconds: int,
                        lateness_seconds: float, quiet_to_close: int, cooldown_windows: int) -> list[Opening]:
    """Turn per-window alert flags into episode openings with the same close and cooldown rules as the detector."""
    openings: list[Opening] = []
    open_ = False
    quiet = 0
    last_flag = -10**9
    blocked_until = -1
    for i, flag in enumerate(flags):
        if open_:
            if flag:
                quiet = 0
                last_flag = i
            else:
                quiet += 1
                if quiet >= quiet_to_close:
                    open_ = False
                    blocked_until = last_flag + cooldown_windows
            continue
        if flag and i > blocked_until:
            open_, quiet, last_flag = True, 0, i
            raised = (first_window + i + 1) * window_seconds + lateness_seconds
            openings.append(Opening(topic, datetime.fromtimestamp(raised, timezone.utc)))
    return openings


def static_threshold_flags(counts: np.ndarray, calibration_windows: int) -> np.ndarray:
    """Alert when a window holds more signals than any window of the calibration period."""
    threshold = counts[:calibration_windows].max() if calibration_windows else 0
    flags = counts > threshold
    flags[:calibration_windows] = False
    return flags


def rolling_zscore_flags(counts: np.ndarray, history: int, z: float, min_count: int) -> np.ndarray:
    """Alert when a window is z standard deviations above the mean of the previous `history` windows."""
    flags = np.zeros(len(counts), dtype=bool)
    past: deque[int] = deque(maxlen=history)
    total = total_sq = 0.0
    for i, value in enumerate(counts):
        if len(past) == history:
            mean = total / history
            sd = math.sqrt(max(total_sq / history - mean * mean, 0.0))
            flags[i] = value >= min_count and (value - mean) / max(sd, 1.0) >= z
            old = past[0]
            total -= old
            total_sq -= old * old
        past.append(int(value))
        total += value
        total_sq += value * value
    return flags


def run_baselines(docs: list[dict], window_minutes: int, lateness_minutes: float, quiet_to_close: int,
                  cooldown_minutes: int, calibration_days: float, z: float = 3.0,
                  min_count: int = 8) -> dict[str, list[Opening]]:
    """Openings of both simple methods on the same stream."""
    window_seconds = window_minutes * 60
    first, counts = topic_window_counts(docs, window_seconds)
    calibration = int(calibration_days * 86400 // window_seconds)
    cooldown = int(math.ceil(cooldown_minutes / window_minutes))
    lateness = lateness_minutes * 60
    out: dict[str, list[Opening]] = {"static threshold": [], "rolling z-score (24 h)": []}
    for topic, series in counts.items():
        out["static threshold"] += episodes_from_flags(
            topic, static_threshold_flags(series, calibration), first, window_seconds, lateness, quiet_to_close,
            cooldown)
        out["rolling z-score (24 h)"] += episodes_from_flags(
            topic, rolling_zscore_flags(series, int(86400 // window_seconds), z, min_count), first, window_seconds,
            lateness, quiet_to_close, cooldown)
    return out

