"""One TOML settings file for all platform connectors, with tokens from the environment."""
from __future__ import annotations

import logging
import os
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

log = logging.getLogger(__name__)

TWITTER_TOKEN_ENV = "STADSSIGNAAL_TWITTER_BEARER_TOKEN"
FACEBOOK_TOKEN_ENV = "STADSSIGNAAL_FACEBOOK_PAGE_TOKEN"
INGEST_TOKENS_ENV = "STADSSIGNAAL_INGEST_TOKENS"
CONNECTOR_KINDS = ("twitter-search", "twitter-stream", "facebook")


class StreamRule(BaseModel):
    """One filtered-stream rule: the rule text and a tag that names it."""

    model_config = ConfigDict(extra="forbid")
    value: str
    tag: str = ""


class TwitterSettings(BaseModel):
    """Twitter/X API v2: what to search for, the municipality's own account, pacing and limits."""

    model_config = ConfigDict(extra="forbid")
    bearer_token: str = ""
    api_base: str = "https://api.x.com"
    municipality: str = ""
    handles: list[str] = Field(default_factory=list)
    hashtags: list[str] = Field(default_factory=list)
    extra_terms: list[str] = Field(default_factory=list)
    exclude_retweets: bool = True
    query: str = ""
    own_account_id: str = ""
    poll_interval_seconds: float = Field(60.0, gt=0)
    max_results: int = Field(100, ge=10, le=100)
    max_pages_per_poll: int = Field(10, ge=1)
    request_timeout_seconds: float = Field(30.0, gt=0)
    rate_limit_max_wait_seconds: float = Field(900.0, gt=0)
    backoff_initial_seconds: float = Field(5.0, gt=0)
    backoff_max_seconds: float = Field(320.0, gt=0)
    stream_rules: list[StreamRule] = Field(default_factory=list)
    sync_stream_rules: bool = False
    stream_read_timeout_seconds: float = Field(30.0, gt=0)
    stream_backfill_minutes: int = Field(0, ge=0, le=5)

    @field_validator("handles")
    @classmethod
    def _strip_at(cls, values: list[str]) -> list[str]:
        """Accept handles with or without '@'."""
        return [v.strip().lstrip("@") for v in values if v.strip()]

    @field_validator("hashtags")
    @classmethod
    def _strip_hash(cls, values: list[str]) -> list[str]:
        """Accept hashtags with or without '#'."""
        return [v.strip().lstrip("#") for v in values if v.strip()]


class FacebookSettings(BaseModel):
    """Facebook Graph API: the municipality's page, how far back to follow comments, pacing and limits."""

    model_config = ConfigDict(extra="forbid")
    page_id: str = ""
    page_token: str = ""
    api_base: str = "https://graph.facebook.com"
    api_version: str = "v21.0"
    edge: Literal["feed", "posts"] = "feed"
    lookback_days: float = Field(14.0, gt=0)
    max_posts_per_poll: int = Field(50, ge=1)
    page_size: int = Field(100, ge=1, le=100)
    poll_interval_seconds: float = Field(300.0, gt=0)
    request_timeout_seconds: float = Field(30.0, gt=0)
    usage_slowdown_percent: float = Field(90.0, gt=0, le=100)
    rate_limit_wait_seconds: float = Field(300.0, gt=0)
    rate_limit_max_wait_seconds: float = Field(3600.0, gt=0)
    backoff_initial_seconds: float = Field(5.0, gt=0)
    backoff_max_seconds: float = Field(320.0, gt=0)


class IngestSettings(BaseModel):
    """The call-note push endpoint: accepted tokens, batch limit and the field mapping of the pushing system."""

    model_config = ConfigDict(extra="forbid")
    tokens: list[str] = Field(default_factory=list)
    max_batch: int = Field(1000, ge=1)
    field_mapping: dict[str, str] = Field(default_factory=dict)


class ConnectorSettings(BaseModel):
    """The whole connectors file: one section per connector."""

    model_config = ConfigDict(extra="forbid")
    twitter: TwitterSettings = Field(default_factory=TwitterSettings)
    facebook: FacebookSettings = Field(default_factory=FacebookSettings)
    ingest: IngestSettings = Field(default_factory=IngestSettings)


def _apply_env(raw: dict[str, Any], env: dict[str, str]) -> dict[str, Any]:
    """Tokens from the environment win over the file (so the file can be shared without secrets)."""
    data = {key: dict(value) if isinstance(value, dict) else value for key, value in raw.items()}
    if env.get(TWITTER_TOKEN_ENV):
        data.setdefault("twitter", {})["bearer_token"] = env[TWITTER_TOKEN_ENV].strip()
    if env.get(FACEBOOK_TOKEN_ENV):
        data.setdefault("facebook", {})["page_token"] = env[FACEBOOK_TOKEN_ENV].strip()
    if env.get(INGEST_TOKENS_ENV):
        tokens = [t.strip() for t in env[INGEST_TOKENS_ENV].split(",") if t.strip()]
        data.setdefault("ingest", {})["tokens"] = tokens
    return data


def load_connector_settings(path: str | Path | None, env: dict[str, str] | None = None) -> ConnectorSettings:
    """Read the connectors TOML file (None: defaults only) and the token environment variables.

    Raises ValueError with every problem listed (file name, section and field) when the file is wrong.
    """
    raw: dict[str, Any] = {}
    if path is not None:
        file = Path(path)
        if not file.is_file():
            raise ValueError(f"connector settings file not found: {file}")
        try:
            raw = tomllib.loads(file.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as err:
            raise ValueError(f"{file}: not valid TOML: {err}") from None
    try:
        return ConnectorSettings.model_validate(_apply_env(raw, dict(os.environ) if env is None else env))
    except ValidationError as err:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in err.errors())
        raise ValueError(f"{path or 'connector settings'}: {problems}") from None
