"""The connectors settings file: the documented example, environment tokens, clear errors, open_connector."""
from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

from pipeline.sources.connectors.facebook import FacebookPageSource
from pipeline.sources.connectors.opening import open_connector
from pipeline.sources.connectors.settings import FacebookSettings, IngestSettings, TwitterSettings, load_connector_settings
from pipeline.sources.connectors.twitter import TwitterSearchSource, TwitterStreamSource

EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "connectors.example.toml"


def documented_keys(text: str) -> dict[str, set[str]]:
    """Per section, the keys that have a comment on their own line or on the line just above."""
    found: dict[str, set[str]] = {}
    section = ""
    previous = ""
    for line in text.splitlines():
        header = re.fullmatch(r"\[([a-z_.]+)\]\s*", line)
        key = re.match(r"([a-z_]+) =", line)
        if header:
            name = header.group(1)
            if "." in name:  # a sub-table such as [ingest.field_mapping] documents that key of its parent
                parent, child = name.split(".", 1)
                if previous.startswith("#"):
                    found.setdefault(parent, set()).add(child)
            section = name
        elif key and (previous.startswith("#") or "#" in line):
            found.setdefault(section, set()).add(key.group(1))
        previous = line.strip()
    return found


def test_example_file_is_valid_and_documents_every_field() -> None:
    settings = load_connector_settings(EXAMPLE, env={})
    assert settings.twitter.handles == ["gemeentezeist"] and settings.facebook.edge == "feed"
    assert settings.ingest.field_mapping["callback"] == "CallBackRequested"
    text = EXAMPLE.read_text(encoding="utf-8")
    raw = tomllib.loads(text)
    documented = documented_keys(text)
    for section, model in (("twitter", TwitterSettings), ("facebook", FacebookSettings), ("ingest", IngestSettings)):
        assert set(raw[section]) == set(model.model_fields), section  # every field present in the example
        undocumented = set(model.model_fields) - documented.get(section, set())
        assert not undocumented, f"[{section}] fields without a comment: {sorted(undocumented)}"


def test_environment_tokens_win_over_the_file(tmp_path: Path) -> None:
    file = tmp_path / "c.toml"
    file.write_text('[twitter]\nbearer_token = "from-file"\nmunicipality = "Zeist"\n', encoding="utf-8")
    env = {"STADSSIGNAAL_TWITTER_BEARER_TOKEN": "from-env", "STADSSIGNAAL_FACEBOOK_PAGE_TOKEN": "fb-env",
           "STADSSIGNAAL_INGEST_TOKENS": "a, b ,,c"}
    settings = load_connector_settings(file, env=env)
    assert settings.twitter.bearer_token == "from-env" and settings.twitter.municipality == "Zeist"
    assert settings.facebook.page_token == "fb-env" and settings.ingest.tokens == ["a", "b", "c"]
    assert load_connector_settings(file, env={}).twitter.bearer_token == "from-file"


def test_mistakes_are_reported_with_section_and_field(tmp_path: Path) -> None:
    file = tmp_path / "bad.toml"
    file.write_text('[twitter]\nmax_results = 500\nhandels = ["x"]\n', encoding="utf-8")
    with pytest.raises(ValueError) as info:
        load_connector_settings(file, env={})
    assert "twitter.max_results" in str(info.value) and "twitter.handels" in str(info.value)
    file.write_text("[twitter\n", encoding="utf-8")
    with pytest.raises(ValueError, match="not valid TOML"):
        load_connector_settings(file, env={})
    with pytest.raises(ValueError, match="not found"):
        load_connector_settings(tmp_path / "missing.toml", env={})


def test_open_connector_builds_each_kind_or_names_what_is_missing(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("STADSSIGNAAL_TWITTER_BEARER_TOKEN", "STADSSIGNAAL_FACEBOOK_PAGE_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    file = tmp_path / "c.toml"
    file.write_text('[twitter]\nmunicipality = "Zeist"\n[facebook]\npage_id = "42"\n', encoding="utf-8")
    with pytest.raises(ValueError, match="STADSSIGNAAL_TWITTER_BEARER_TOKEN"):
        open_connector("twitter-search", file)
    with pytest.raises(ValueError, match="page token"):
        open_connector("facebook", file)
    monkeypatch.setenv("STADSSIGNAAL_TWITTER_BEARER_TOKEN", "t")
    monkeypatch.setenv("STADSSIGNAAL_FACEBOOK_PAGE_TOKEN", "f")
    search = open_connector("twitter-search", file)
    assert isinstance(search, TwitterSearchSource) and search.query == "Zeist -is:retweet"
    assert isinstance(open_connector("twitter-stream", file), TwitterStreamSource)
    page = open_connector("facebook", file)
    assert isinstance(page, FacebookPageSource) and page.name == "facebook:42"
    with pytest.raises(ValueError, match="unknown connector"):
        open_connector("instagram", file)
