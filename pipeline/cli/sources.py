"""CLI command of the sources package: write demo signals to a JSONL file (for demos, tests and benchmarks)."""
from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import click

from pipeline.core.signal import InvalidSignal, parse_time, utc_now
from pipeline.sources.demo.generator import DEFAULT_RATE_PER_HOUR, generate, write_jsonl


def _moment(value: str | None, option: str) -> datetime | None:
    """Parse an ISO 8601 option value with offset, or fail with a usage error."""
    if value is None:
        return None
    try:
        return parse_time(value)
    except InvalidSignal:
        raise click.BadParameter(f"expected ISO 8601 with a UTC offset, got {value!r}", param_hint=option) from None


@click.command("demo-data")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="JSONL file to write (one raw signal per line).")
@click.option("--hours", type=float, default=48.0, show_default=True,
              help="Length of the time range when --start is not given.")
@click.option("--end", help="End of the range, ISO 8601 with offset (default: now).")
@click.option("--start", help="Start of the range, ISO 8601 with offset (default: --hours before the end).")
@click.option("-n", "--count", type=click.IntRange(min=1), default=None,
              help="Stop after this many signals (then --end is optional).")
@click.option("--seed", type=int, default=7, show_default=True, help="Same seed and range give the same signals.")
@click.option("--rate", type=click.FloatRange(min=0.1), default=DEFAULT_RATE_PER_HOUR, show_default=True,
              help="Average signals per hour (the daily rhythm shapes it).")
@click.option("--no-spike", is_flag=True, help="Leave out the Slotlaan roadworks spike.")
def demo_data(out: Path, hours: float, end: str | None, start: str | None, count: int | None, seed: int,
              rate: float, no_spike: bool) -> None:
    """Generate realistic demo signals for Zeist (tweets, Facebook comments, call notes, site searches)."""
    end_at = _moment(end, "--end")
    start_at = _moment(start, "--start")
    if count is None and end_at is None:
        end_at = utc_now().replace(microsecond=0)
    if start_at is None:
        start_at = (end_at or utc_now().replace(microsecond=0)) - timedelta(hours=hours)
    if end_at is not None and end_at <= start_at:
        raise click.BadParameter("the end must be after the start", param_hint="--end")
    signals = generate(count, seed=seed, start=start_at, end=end_at, rate_per_hour=rate,
                       spikes=[] if no_spike else None)
    written = write_jsonl(out, signals)
    click.echo(f"wrote {written} signals to {out}")
