"""The feature pages mounted next to the live dashboard (search review, alerts)."""
from __future__ import annotations

from pathlib import Path

from starlette.routing import BaseRoute


def feature_routes(store_path: Path) -> list[BaseRoute]:
    """Routes of every feature page that reads the same store."""
    from pipeline.apps.dashboard.alerts_routes import alerts_routes
    from pipeline.apps.webteam.routes import review_routes

    return [*review_routes(store_path), *alerts_routes(store_path)]
