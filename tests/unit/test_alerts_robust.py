"""The parts of the detector that calibrate it for bursty volume: level factor, slot noise, tail calibration,
and the self-exciting background of the synthetic bench."""
from __future__ import annotations

import numpy as np

from pipeline.alerts.calibration import LEVELS, TailCalibration
from pipeline.alerts.evaluation.synthetic import triggered_posts
from pipeline.alerts.level import LevelTracker, winsorised
from pipeline.alerts.slot_noise import SlotNoise


def test_level_factor_follows_a_shift_but_not_a_burst() -> None:
    tracker = LevelTracker(windows_per_hour=4, hours=12, prior_windows=8)
    tracker.grow(2)
    both = np.ones(2, dtype=bool)
    seasonal = np.array([10.0, 10.0])
    spread = np.sqrt(seasonal * 2)
    for _ in range(200):
        tracker.update(np.array([10.0, 10.0]), seasonal, both)
    for step in range(96):   # row 0 doubles for a day; row 1 has one burst of 100
        expected = seasonal * tracker.factor()
        x = np.array([20.0, 100.0 if step == 0 else 10.0])
        tracker.update(winsorised(x, expected, spread, 2.5), seasonal, both)
    factor = tracker.factor()
    assert factor[0] > 1.7
    assert 0.95 < factor[1] < 1.1


def test_slot_noise_scales_only_the_noisy_slot() -> None:
    noise = SlotNoise(slot_decay=0.99, all_decay=0.999, slot_prior=12, all_prior=48)
    noise.grow(1)
    rng = np.random.default_rng(4)
    for _week in range(6):
        for slot in range(168):
            mu = np.array([10.0])
            x = np.array([float(rng.poisson(10 if slot != 20 else rng.choice([2, 30])))])
            noise.learn(slot, x, mu, mu, np.ones(1))
    assert noise.scale(20)[0] > 2.0
    assert noise.scale(5)[0] < 1.5


def test_tail_calibration_keeps_a_calibrated_scope_and_tightens_a_bursty_one() -> None:
    calibration = TailCalibration(decay=0.9999, prior_windows=2000)
    calibration.grow(2)
    rng = np.random.default_rng(1)
    both = np.ones(2, dtype=bool)
    for _ in range(20000):
        p = rng.uniform(size=2)
        p[1] = p[1] ** 3            # the second scope's windows look rare far too often
        bins = [np.array([float(sum(q < level for level in LEVELS)) for q in p])]
        calibration.learn(bins, both)
    thresholds = calibration.thresholds(np.array([1e-5, 1e-5]))
    assert 3e-6 < thresholds[0] <= 1e-5
    assert thresholds[1] < 1e-7


def test_triggered_posts_form_clusters_of_the_expected_mean_size() -> None:
    rng = np.random.default_rng(7)
    sizes = [len(triggered_posts(rng, 0.0, 0.6, 0.5, 1500.0)) for _ in range(5000)]
    assert 1.2 < float(np.mean(sizes)) < 1.8          # n / (1 - n) = 1.5
    assert max(sizes) > 20                             # some posts go viral
    assert np.median(sizes) <= 1


def _steady_with_burst(burst: list[int], days: int = 9) -> list[dict]:
    """Five signals per 15 minutes for `days` days; on the last day at 12:00 UTC the windows hold `burst`."""
    from datetime import datetime, timedelta, timezone

    t0 = datetime(2025, 3, 3, tzinfo=timezone.utc)
    burst_at = (days - 1) * 96 + 48
    docs = []
    for window in range(days * 96):
        count = burst[window - burst_at] if 0 <= window - burst_at < len(burst) else 5
        for i in range(count):
            moment = t0 + timedelta(minutes=15 * window, seconds=(i + 0.5) * 900 / count)
            docs.append({"id": f"twitter:{window}-{i}", "channel": "twitter", "created_at": moment.isoformat(),
                         "text": "", "topic": {"code": "verkeer"}, "sentiment": {"label": "neutral"}})
    return docs


def _openings(docs: list[dict], **config: object) -> int:
    import itertools

    from pipeline.alerts import DetectorConfig, SpikeDetector

    detector = SpikeDetector(DetectorConfig(max_future_minutes=None, **config))   # type: ignore[arg-type]
    opened = 0
    for _, group in itertools.groupby(docs, key=lambda d: d["created_at"][:16]):
        opened += sum(e.kind == "opened" for e in detector.observe(list(group)))
    return opened


def test_a_faded_burst_needs_the_fast_path_but_a_persisting_rise_does_not() -> None:
    faded = _steady_with_burst([22, 6])          # one busy window (too small for the fast path), then normal
    assert _openings(faded, persist_newest=False) == 1   # the 30-minute span carries the faded peak alone
    assert _openings(faded) == 0
    persisting = _steady_with_burst([22, 22])
    assert _openings(persisting) == 1


def _bursty(days: int, seed: int, rate: float, branching: float,
            step_day: int | None = None) -> tuple[list[dict], float | None]:
    """One topic on one social channel: `rate` signals per 15 minutes from a self-exciting process (a share
    `branching` of the posts set off by earlier ones, rare viral posts); optionally a 3x step from 12:00 to
    13:00 UTC on `step_day` (its start is returned as a timestamp)."""
    from datetime import datetime, timezone

    from pipeline.alerts.evaluation.synthetic import triggered_posts

    rng = np.random.default_rng(seed)
    t0 = datetime(2025, 3, 3, tzinfo=timezone.utc).timestamp()
    times: list[float] = []
    step_at = None if step_day is None else t0 + step_day * 86400 + 12 * 3600
    for window in range(days * 96):
        start = t0 + window * 900
        if step_at is not None and step_at <= start < step_at + 3600:
            times += [float(t) for t in start + rng.uniform(0, 900, rng.poisson(3 * rate))]
            continue
        for ts in start + rng.uniform(0, 900, rng.poisson(rate * (1 - branching))):
            times.append(float(ts))
            times += triggered_posts(rng, float(ts), branching, 0.5, 1500.0)
    times.sort()
    docs = [{"id": f"twitter:{i}", "channel": "twitter", "created_at": datetime.fromtimestamp(ts, timezone.utc).isoformat(),
             "text": "", "topic": {"code": "verkeer"}, "sentiment": {"label": "neutral"}} for i, ts in enumerate(times)]
    return docs, step_at


def _opened_at(docs: list[dict], **config: object) -> list[float]:
    """When (the newest signal's timestamp) the detector opened an episode, fed in ten-minute batches."""
    import itertools
    from datetime import datetime

    from pipeline.alerts import DetectorConfig, SpikeDetector

    detector = SpikeDetector(DetectorConfig(max_future_minutes=None, negative_trigger=False,
                                            **config))   # type: ignore[arg-type]
    out = []
    for _, group in itertools.groupby(docs, key=lambda d: d["created_at"][:15]):
        batch = list(group)
        raised = max(datetime.fromisoformat(d["created_at"]).timestamp() for d in batch)
        out += [raised for e in detector.observe(batch) if e.kind == "opened"]
    return out


def test_a_bursty_background_learned_in_its_first_week_raises_few_alerts_in_its_second() -> None:
    docs, _ = _bursty(days=10, seed=3, rate=4.0, branching=0.8)
    unlearned = _opened_at(docs, young_noise_weight=0.0)
    learned = _opened_at(docs, young_noise_weight=0.3)
    assert len(learned) <= 1
    assert len(learned) < len(unlearned)   # without the first week's noise the second week raises more


def test_a_3x_step_on_a_bursty_background_still_alerts() -> None:
    docs, step_at = _bursty(days=10, seed=3, rate=12.0, branching=0.6, step_day=9)
    assert step_at is not None
    assert any(step_at <= t <= step_at + 5400 for t in _opened_at(docs, young_noise_weight=0.3))


def test_dispersion_learned_against_an_uncertain_expectation_nets_out_its_error() -> None:
    from pipeline.alerts.dispersion import DispersionModel

    rng = np.random.default_rng(5)
    netted = DispersionModel((1,), decay=1.0, default_b=0.05, max_b=1.0)
    raw = DispersionModel((1,), decay=1.0, default_b=0.05, max_b=1.0)
    for model in (netted, raw):
        model.grow(1)
    share_noise, share_prior = np.array([0.5]), np.array([0.04])
    for _ in range(20000):
        mu = rng.uniform(5.0, 40.0, 1)
        x = rng.normal(mu, np.sqrt(mu * 1.5))                     # a = 0.5, b = 0
        # the expectation is a mean of two such counts and rests partly on a guess with relative variance 0.04
        guess = mu + rng.normal(0.0, np.sqrt(share_noise * mu * 1.5)) + rng.normal(0.0, np.sqrt(share_prior) * mu)
        netted.learn(0, x, guess, np.ones(1), share_noise, share_prior)
        raw.learn(0, x, guess, np.ones(1))
    parents, rows = np.zeros(1, dtype=np.int64), [np.array([0]), np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)]
    a, b = netted.estimate(0, parents, rows)
    raw_a, raw_b = raw.estimate(0, parents, rows)
    assert 0.35 < a[0] < 0.9 and b[0] < 0.01                     # near the true 0.5 (the weights see the guess)
    assert raw_a[0] > 2 * a[0]                                   # left in, the expectation's error reads as bursts


def test_a_snapshot_saved_before_expectation_errors_were_kept_still_restores() -> None:
    import json
    from datetime import datetime, timedelta, timezone

    from pipeline.alerts import SpikeDetector

    start = datetime(2025, 4, 7, tzinfo=timezone.utc)
    rng = np.random.default_rng(2)
    docs = [{"id": f"site:{i}", "channel": "site_search", "topic": {"code": "afval"}, "sentiment": {"label": "neutral"},
             "text": "", "created_at": (start + timedelta(seconds=float(t))).isoformat()}
            for i, t in enumerate(np.sort(rng.uniform(0, 3 * 86400, 6000)))]
    detector = SpikeDetector()
    detector.observe(docs[:4000])
    state = json.loads(json.dumps(detector.snapshot()))
    assert state["pending"] and all("error_noise" in p for p in state["pending"])
    state["version"] = 2
    for pending in state["pending"]:
        del pending["error_noise"], pending["error_prior"]
    resumed = SpikeDetector.restore(state)
    resumed.observe(docs[4000:])
    assert resumed.snapshot()["version"] == 3
    assert resumed.stats["counted"] == len(docs)          # every signal after the restore was counted too


def test_dispersion_of_strongly_clustered_volume_is_not_capped_below_its_size() -> None:
    from pipeline.alerts.config import DetectorConfig
    from pipeline.alerts.dispersion import DispersionModel

    rng = np.random.default_rng(7)
    model = DispersionModel((1,), decay=1.0, default_b=0.05, max_b=1.0, max_a=DetectorConfig().max_extra_poisson)
    model.grow(1)
    for _ in range(20000):
        mu = rng.uniform(0.5, 5.0, 1)
        size = 5.0                                                # cascades of 5 on average: var = mu (1 + 4)
        x = size * rng.poisson(mu / size)
        model.learn(0, x.astype(float), mu, np.ones(1))
    parents, rows = np.zeros(1, dtype=np.int64), [np.array([0]), np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)]
    a, _ = model.estimate(0, parents, rows)
    assert a[0] > 3.5                                             # near the true 4: a cascade is ordinary, not a spike
