"""The feature pages mounted next to the live dashboard (search review, alerts)."""
from __future__ import annotations

from pathlib import Path

from starlette.routing import BaseRoute


def feature_routes(store_path: Path, municipality: str | None = None) -> list[BaseRoute]:
    """Routes of every feature page that reads the same store; pages name `municipality` (default: the settings')."""
    from pipeline.apps.dashboard.alerts_routes import alerts_routes
    from pipeline.apps.webteam.routes import review_routes

    if municipality is None:
        from pipeline.core.settings import Settings
        municipality = Settings().municipality
    return [*review_routes(store_path, municipality=municipality), *alerts_routes(store_path, municipality)]
