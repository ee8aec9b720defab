"""Open a platform connector by kind from the connectors' settings file."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from pipeline.sources.base import Source
from pipeline.sources.connectors.settings import CONNECTOR_KINDS, FACEBOOK_TOKEN_ENV, TWITTER_TOKEN_ENV, load_connector_settings


def open_connector(kind: str, settings_path: str | Path | None, status: Any = None, once: bool = False) -> Source:
    """Build the connector `kind` (twitter-search, twitter-stream, facebook) from the settings file.

    Raises ValueError naming the missing setting when the connector cannot run (e.g. no token).
    """
    settings = load_connector_settings(settings_path)
    if kind in ("twitter-search", "twitter-stream"):
        if not settings.twitter.bearer_token:
            raise ValueError(f"{kind} needs a bearer token: set [twitter] bearer_token or {TWITTER_TOKEN_ENV}")
        from pipeline.sources.connectors.twitter import TwitterSearchSource, TwitterStreamSource
        if kind == "twitter-search":
            return TwitterSearchSource(settings.twitter, status=status, once=once)
        return TwitterStreamSource(settings.twitter, status=status)
    if kind == "facebook":
        if not settings.facebook.page_token or not settings.facebook.page_id:
            raise ValueError(f"facebook needs [facebook] page_id and a page token (page_token or {FACEBOOK_TOKEN_ENV})")
        from pipeline.sources.connectors.facebook import FacebookPageSource
        return FacebookPageSource(settings.facebook, status=status, once=once)
    raise ValueError(f"unknown connector {kind!r}; expected one of {', '.join(CONNECTOR_KINDS)}")
