"""Turn a source spec from the command line ("replay:FILE", "folder:DIR", "demo") into a Source."""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pipeline.core.settings import Settings
    from pipeline.sources.base import Source

DEMO_HISTORY_PER_HOUR = 200
DEMO_HISTORY_HOURS = 8 * 24 + 2
SPEC_HELP = ("replay:FILE (JSONL or CSV), folder:DIR (call-note exports), access-log:FILE (site searches "
             "from a web server log), twitter-search[:SETTINGS.toml], twitter-stream[:SETTINGS.toml], "
             "facebook[:SETTINGS.toml] (connectors; settings default to the `connectors` setting), "
             "demo[:SEED] (generated stream)")
CONNECTOR_KINDS = ("twitter-search", "twitter-stream", "facebook")


def parse_speed(value: str | None) -> float | None:
    """'max' or None means as fast as possible; a number is a factor of real-time pace."""
    if value is None or value.strip().lower() == "max":
        return None
    try:
        factor = float(value)
    except ValueError:
        raise ValueError(f"--speed must be 'max' or a positive number, got {value!r}") from None
    if factor <= 0:
        raise ValueError(f"--speed must be positive, got {value!r}")
    return factor


def open_source(spec: str, settings: Settings, speed: float | None = None, once: bool = False,
                store_path: Path | None = None) -> Source:
    """Build the source named by `spec`; raise ValueError with a helpful message when it is unknown."""
    kind, _, arg = spec.partition(":")
    if kind == "replay":
        from pipeline.sources.replay import ReplaySource
        if not arg:
            raise ValueError("replay needs a file: --source replay:signals.jsonl")
        path = Path(arg)
        if not path.is_file():
            raise ValueError(f"replay file not found: {path}")
        return ReplaySource(path, speed=speed, batch_size=settings.batch_size, max_text_chars=settings.max_text_chars)
    if kind == "folder":
        from pipeline.sources.folder import FolderSource
        if not arg:
            raise ValueError("folder needs a directory: --source folder:/path/to/exports")
        if not Path(arg).is_dir():
            raise ValueError(f"folder not found: {arg}")
        return FolderSource(Path(arg), once=once, batch_size=settings.batch_size,
                            max_text_chars=settings.max_text_chars)
    if kind == "access-log":
        from pipeline.sources.access_log import AccessLogSource, SearchLogConfig
        if not arg or not Path(arg).is_file():
            raise ValueError(f"access log not found: {arg or '(none given)'}")
        config = SearchLogConfig(search_paths=dict(settings.search_paths),
                                 results_param=settings.search_results_param)
        return AccessLogSource(Path(arg), config, name=f"access_log:{Path(arg).resolve()}",
                               batch_size=settings.batch_size, follow=not once)
    if kind in CONNECTOR_KINDS:
        from pipeline.sources.connectors.opening import open_connector
        from pipeline.sources.connectors.status import StatusRecorder
        return open_connector(kind, arg or settings.connectors, status=StatusRecorder(store_path or settings.store),
                              once=once)
    if kind == "demo":
        from pipeline.sources.demo.generator import DemoSource
        seed = int(arg) if arg else 7
        # Eight days of history, then live at the same rate and rhythm, so that the spike detector's baseline
        # fits the live stream, "what is new" has last week to compare with and the digest a full day before.
        # The volume keeps the history's load (about 39,000 signals) to two or three minutes on a busy laptop.
        return DemoSource(seed=seed, history_hours=DEMO_HISTORY_HOURS, history_per_hour=DEMO_HISTORY_PER_HOUR,
                          live_rate=DEMO_HISTORY_PER_HOUR / 3600)
    raise ValueError(f"unknown source {spec!r}; expected {SPEC_HELP}")
