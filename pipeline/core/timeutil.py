"""Small time helpers shared by the dashboards and reports."""
from __future__ import annotations

from datetime import datetime, timezone


def iso(ts: float | None) -> str | None:
    """Unix seconds as ISO 8601 UTC with 'Z', or None."""
    if ts is None:
        return None
    return datetime.fromtimestamp(ts, timezone.utc).isoformat().replace("+00:00", "Z")


def utc_datetime(ts: float) -> datetime:
    """Unix seconds as an aware UTC datetime."""
    return datetime.fromtimestamp(ts, timezone.utc)
