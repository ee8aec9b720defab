"""Settings from environment variables (STADSSIGNAAL_*) and an optional TOML file."""
from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

from pydantic import Field
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict, TomlConfigSettingsSource

log = logging.getLogger(__name__)

CONFIG_ENV = "STADSSIGNAAL_CONFIG"


class Settings(BaseSettings):
    """Everything an operator may set; every field has a default that works for the demo."""

    model_config = SettingsConfigDict(env_prefix="STADSSIGNAAL_", extra="ignore")

    pseudonym_key: str = Field(
        "", description="secret key for the keyed hash of authors; empty: a random key kept beside the store")
    municipality: str = Field("Zeist", description="name of the municipality (demo data, language hints)")
    neighbourhoods: list[str] = Field(
        default_factory=lambda: [
            "Centrum", "Kerckebosch", "Vollenhove", "Couwenhoven", "Crosestein", "Brugakker",
            "Staatsliedenkwartier", "Lyceumkwartier", "Patijnpark", "Den Dolder", "Austerlitz",
            "Bosch en Duin", "Huis ter Heide", "Nijenheim", "Dijnselburg",
        ],
        description="places recognised in text and meta (for spike scope and dossiers)")
    max_text_chars: int = Field(20_000, description="longer texts are rejected as dead letters")
    batch_size: int = Field(500, description="signals per transaction in the local runner")
    review_threshold: float = Field(0.4, description="topic confidence under which needs_review is set")
    sentiment_model: str = Field(
        "starter", description="sentiment: 'starter' (the shipped supervised model), a model directory made by "
                               "`train --task sentiment`, or 'lexicon' for the lexicon scorer alone")
    store: Path = Field(Path("var/stadssignaal.db"), description="SQLite store of the local runner")
    retention_days: float = Field(
        90, description="signals and dead letters are deleted this many days after they were stored (0: keep)")
    search_paths: dict[str, str] = Field(
        default_factory=lambda: {"/zoeken": "q"},
        description="access logs: URL path of the site search -> its query parameter")
    search_results_param: str | None = Field(None, description="access logs: parameter holding the result count")
    connectors: Path | None = Field(None, description="TOML file with the Twitter/X, Facebook and ingest settings")
    alerts: dict[str, Any] = Field(
        default_factory=dict,
        description="[alerts] detector settings and [alerts.notify] targets and routing (see pipeline/alerts)")
    host: str = Field("127.0.0.1", description="address the built-in dashboard binds to")
    port: int = Field(8000, description="port of the built-in dashboard")

    @classmethod
    def settings_customise_sources(cls, settings_cls: type[BaseSettings], init_settings: PydanticBaseSettingsSource,
                                   env_settings: PydanticBaseSettingsSource, dotenv_settings: PydanticBaseSettingsSource,
                                   file_secret_settings: PydanticBaseSettingsSource) -> tuple[PydanticBaseSettingsSource, ...]:
        """Order: explicit arguments, environment, then the TOML file named by STADSSIGNAAL_CONFIG."""
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        path = os.environ.get(CONFIG_ENV)
        if path:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=Path(path)))
        return tuple(sources)


def load_settings(config: str | Path | None = None, **overrides: Any) -> Settings:
    """Load settings, reading `config` (a TOML file) when given."""
    if config is not None:
        if not Path(config).is_file():
            raise FileNotFoundError(f"settings file not found: {config}")
        os.environ[CONFIG_ENV] = str(config)
    return Settings(**{k: v for k, v in overrides.items() if v is not None})
