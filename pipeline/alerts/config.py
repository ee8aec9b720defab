"""Detector settings with defaults that suit one municipality's stream, and loading them from a mapping."""
from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass
from typing import Any, Mapping

# Cap on the extra-Poisson factor a: a reply cascade in a sparse channel can hold several times its expected count.
MAX_EXTRA_POISSON = 4.5

log = logging.getLogger(__name__)

MODELS = ("poisson", "negbin")
SCOPE_KINDS = ("topic", "channel", "place")


@dataclass(slots=True)
class DetectorConfig:
    """Every knob of the spike detector; all times are event time (created_at)."""

    window_minutes: int = 15
    spans: tuple[int, ...] = (1, 2, 4)          # windows summed per test: 15, 30 and 60 minutes
    model: str = "negbin"                        # "poisson" or "negbin" (overdispersed, estimated per scope)
    p_threshold: float = 1e-5                    # alert when P(X >= observed) is below this ...
    span_correction: bool = False                # ... divided by the number of spans (one budget for all lengths)
    min_count: int = 8                           # ... and at least this many signals in the tested span ...
    min_ratio: float = 2.0                       # ... and observed / expected at least this
    early_partial_expectation: bool = True       # the filling window is tested against the minutes passed so far
    level_correction: bool = True                # channel/place threshold scaled by topics / scopes of that kind
    place_max_channel_share: float = 0.8         # a place alerts only when no one channel brings more of its signals
    channel_corroboration_p: float = 0.01        # a channel alerts only when its topic's count is this improbable too
    scope_kinds: tuple[str, ...] = SCOPE_KINDS   # counts per topic, topic+channel, topic+place
    cooldown_minutes: int = 60                   # no new episode for a topic this long after one closed
    quiet_windows_to_close: int = 2              # an episode closes after this many windows back to normal
    close_p_threshold: float = 0.01              # a window still counts as elevated below this p-value ...
    close_ratio: float = 1.5                     # ... and at this ratio or more
    update_growth: float = 0.25                  # emit 'updated' when the observed total grew by this fraction
    warmup_hours: float = 24.0                   # no alerts before this much history (>= 24: and every hour of day seen)
    memory_weeks: float = 6.0                    # baselines forget with this time constant
    learn_lag_windows: int = 8                   # a window is learned this many windows after it closed
    prior_windows: float = 4.0                   # least shrinkage strength of a slot toward its hour/day prior
    slot_variance: float = 0.1                   # relative variance of true slot rates around that prior
    overall_prior_windows: float = 96.0          # shrinkage of a scope's overall rate toward its parent's
    new_scope_share: float = 0.05                # prior share of a parent's rate for a scope never seen
    min_expected: float = 0.05                   # floor for the expected count per window
    prior_uncertainty: float = 0.25              # relative variance of an expectation that rests on its prior
    inverse_size: float | None = None            # fixed negative-binomial 1/size; None: estimate per scope
    default_inverse_size: float = 0.05           # prior 1/size before anything is learned
    max_inverse_size: float = 1.0                # cap on the estimated 1/size
    max_extra_poisson: float = MAX_EXTRA_POISSON  # cap on the estimated extra-Poisson factor a (clustered signals)
    level_tracking: bool = True                  # expected = seasonal baseline x a robust recent level factor
    level_hours: float = 12.0                    # ... which forgets with this time constant
    level_prior_windows: float = 8.0             # ... shrunk toward 1 by this many windows of evidence
    winsor_z: float = 2.5                        # learned counts are clipped this many sd around expected
    slot_dispersion: bool = True                 # variance scaled per hour-of-week slot from the scope's own noise
    slot_noise_prior: float = 12.0               # windows of evidence before a slot's own noise counts as much
    young_noise_weight: float = 0.3              # weight of windows whose slot had no week of history yet
    tail_calibration: bool = True                # thresholds tightened where the scope's own windows are too often rare
    tail_memory_days: float = 14.0               # ... counting windows with this time constant
    tail_prior_windows: float = 2000.0           # ... shrunk toward the model by this many windows at nominal rates
    persistence: bool = True                     # a burst not preceded by an elevated window must be extreme ...
    fast_factor: float = 1e-3                    # ... its p-value below p_threshold x this
    confirm_z: float = 1.0                       # the window before counts as elevated at this many sd above ...
    confirm_ratio: float = 1.2                   # ... and this ratio to expected
    persist_newest: bool = True                  # a longer span needs its newest window elevated too (else fast path)
    negative_trigger: bool = True                # second trigger: a rising share of negative sentiment
    negative_span: int = 4                       # windows in the negative-share test
    negative_p_threshold: float = 1e-5
    negative_min_count: int = 8
    negative_min_rise: float = 0.15              # share of negatives must rise this much (absolute)
    negative_prior_share: float = 0.3
    allowed_lateness_minutes: float = 2.0        # observe() closes windows this long after the newest signal
    max_future_minutes: float | None = 60.0      # ignore signals dated this far past the wall clock
    skip_day_only: bool = True                   # a signal stamped exactly at midnight carries a date, not a time:
                                                 # not counted (a day's reports would all land in its first window)
    max_gap_windows: int = 672                   # a longer silence is skipped, not counted as zeros
    max_scopes: int = 5000
    max_examples: int = 5
    max_new_terms: int = 5
    term_memory: int = 2000                      # background terms kept per topic
    timezone: str = "Europe/Amsterdam"           # hour of day and day of week are local
    holidays: str | list[str] = "nl"             # "nl": Dutch public holidays count as Sundays; or ISO dates
    severity_warning_factor: float = 1e-2        # waarschuwing: p below p_threshold x this, or ratio >= alarm ratio
    severity_alarm_factor: float = 1e-4          # alarm: p below p_threshold x this and ...
    severity_alarm_ratio: float = 3.0            # ... observed at least this many times expected
    dashboard_url: str = ""                      # prefix of the alert link, e.g. "https://signaal.zeist.nl"

    def validate(self) -> "DetectorConfig":
        """Check ranges and return self; raise ValueError naming the bad field."""
        if self.model not in MODELS:
            raise ValueError(f"alerts.model must be one of {MODELS}, got {self.model!r}")
        if self.window_minutes <= 0 or 1440 % self.window_minutes:
            raise ValueError("alerts.window_minutes must divide a day (e.g. 5, 10, 15, 30, 60)")
        if not self.spans or any(int(s) < 1 for s in self.spans):
            raise ValueError("alerts.spans must be positive window counts")
        self.spans = tuple(sorted({int(s) for s in self.spans}))
        bad_kinds = set(self.scope_kinds) - set(SCOPE_KINDS)
        if bad_kinds:
            raise ValueError(f"alerts.scope_kinds: unknown {sorted(bad_kinds)}; use {SCOPE_KINDS}")
        for name in ("p_threshold", "close_p_threshold", "negative_p_threshold"):
            if not 0 < getattr(self, name) < 1:
                raise ValueError(f"alerts.{name} must be between 0 and 1")
        if not 0 < self.fast_factor <= 1:
            raise ValueError("alerts.fast_factor must be in (0, 1]")
        if self.level_hours <= 0 or self.winsor_z <= 0:
            raise ValueError("alerts.level_hours and alerts.winsor_z must be positive")
        if self.min_ratio < 1 or self.close_ratio < 1:
            raise ValueError("alerts.min_ratio and alerts.close_ratio must be at least 1")
        if self.quiet_windows_to_close < 1 or self.max_examples < 1 or self.negative_span < 1:
            raise ValueError("alerts.quiet_windows_to_close, max_examples and negative_span must be at least 1")
        return self

    @property
    def history_windows(self) -> int:
        """How many closed windows the detector keeps (for spans and examples)."""
        return max(max(self.spans), self.negative_span)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready copy."""
        out = dataclasses.asdict(self)
        out["spans"] = list(self.spans)
        out["scope_kinds"] = list(self.scope_kinds)
        return out

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any] | None) -> "DetectorConfig":
        """Build from a dict (TOML table or snapshot); unknown keys are logged and ignored."""
        data = dict(data or {})
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - names)
        if unknown:
            log.warning("alerts settings: ignoring unknown key(s) %s", ", ".join(unknown))
        kwargs = {k: v for k, v in data.items() if k in names}
        for key in ("spans", "scope_kinds"):
            if key in kwargs and kwargs[key] is not None:
                kwargs[key] = tuple(kwargs[key])
        return cls(**kwargs).validate()


def config_from_settings(settings: Any) -> DetectorConfig:
    """Read the `alerts` table of the settings (a dict or model) when there is one, else the defaults."""
    raw = getattr(settings, "alerts", None)
    if raw is None:
        return DetectorConfig()
    if hasattr(raw, "model_dump"):
        raw = raw.model_dump()
    detector_part = raw.get("detector", raw) if isinstance(raw, Mapping) else {}
    return DetectorConfig.from_mapping({k: v for k, v in detector_part.items() if k not in ("notify", "routes")})

