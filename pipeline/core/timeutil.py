"""Time helpers for the whole product: ISO 8601 in UTC with a 'Z', and unix seconds as aware datetimes."""
from __future__ import annotations

from datetime import datetime, timezone


def iso_z(moment: datetime | None, timespec: str = "auto") -> str | None:
    """An aware datetime as ISO 8601 in UTC with a 'Z', or None."""
    if moment is None:
        return None
    return moment.astimezone(timezone.utc).isoformat(timespec=timespec).replace("+00:00", "Z")


def iso(ts: float | None, timespec: str = "auto") -> str | None:
    """Unix seconds as ISO 8601 UTC with 'Z', or None."""
    if ts is None:
        return None
    return iso_z(utc_datetime(ts), timespec)


def utc_datetime(ts: float) -> datetime:
    """Unix seconds as an aware UTC datetime."""
    return datetime.fromtimestamp(ts, timezone.utc)
