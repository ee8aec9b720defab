"""Validate the index design data files: well-formed, the types the brief asks for, ES 8/9-safe, complete."""
from __future__ import annotations

import json
import re
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterator

import pytest

from fakes.es_server import check_document, sample_alert, sample_search, sample_signal
from pipeline.sinks.elasticsearch.config import EsConfig
from pipeline.sinks.elasticsearch.documents import daily_index
from pipeline.sinks.elasticsearch.index_design import TEMPLATE_DIR, policy_body, setup_requests, template_body

REPO = Path(__file__).resolve().parents[2]
VALID_TYPES = {"keyword", "text", "date", "boolean", "long", "integer", "float", "double", "geo_point", "object"}
FORBIDDEN_KEYS = {"default_pipeline", "final_pipeline", "pipeline", "_type", "include_type_name", "_all",
                  "rollover_alias", "string"}
ORIGINATION = re.compile(r"^.*-(\d{4}.\d{2}.\d{2})(-\d+)?$")  # Elasticsearch's IndexLifecycleOriginationDateParser


def load(name: str) -> dict[str, Any]:
    """A template data file as JSON."""
    return json.loads((TEMPLATE_DIR / name).read_text(encoding="utf-8"))


def leaf_fields(mapping: dict[str, Any], prefix: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    """(dotted name, spec) of every mapped field, including multi-field subfields like text.keyword."""
    for name, spec in mapping.get("properties", {}).items():
        path = f"{prefix}{name}"
        if "properties" in spec:
            yield path, {"type": "object", **spec}
            yield from leaf_fields(spec, path + ".")
        else:
            yield path, spec
            for sub, sub_spec in spec.get("fields", {}).items():
                yield f"{path}.{sub}", sub_spec


def all_keys(value: Any) -> Iterator[str]:
    """Every key at any depth of a JSON value."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from all_keys(item)
    elif isinstance(value, list):
        for item in value:
            yield from all_keys(item)


SIGNALS = load("signals-template.json")
ALERTS = load("alerts-template.json")
POLICY = load("retention-policy.json")
SIGNAL_FIELDS = dict(leaf_fields(SIGNALS["template"]["mappings"]))
ALERT_FIELDS = dict(leaf_fields(ALERTS["template"]["mappings"]))


def test_every_file_is_well_formed_json() -> None:
    files = sorted(TEMPLATE_DIR.glob("*.json"))
    assert [f.name for f in files] == ["alerts-template.json", "deadletters-template.json", "retention-policy.json",
                                       "signals-template.json"]
    for path in files:
        assert isinstance(json.loads(path.read_text(encoding="utf-8")), dict), path


@pytest.mark.parametrize("body,prefix", [(SIGNALS, "stadssignaal-signals"), (ALERTS, "stadssignaal-alerts")])
def test_template_structure(body: dict[str, Any], prefix: str) -> None:
    assert body["index_patterns"] == [f"{prefix}-*"]
    assert isinstance(body["priority"], int) and body["priority"] > 100  # above the built-in templates
    template = body["template"]
    assert set(template) == {"settings", "aliases", "mappings"}
    assert template["aliases"] == {prefix: {}}
    lifecycle = template["settings"]["index"]["lifecycle"]
    assert lifecycle == {"name": "stadssignaal-retention", "parse_origination_date": True}
    assert template["mappings"]["dynamic"] is False
    assert not FORBIDDEN_KEYS & set(all_keys(body)), "no ingest pipelines, types or pre-8 features"


@pytest.mark.parametrize("fields", [SIGNAL_FIELDS, ALERT_FIELDS])
def test_only_known_field_types_and_safe_keywords(fields: dict[str, dict[str, Any]]) -> None:
    for name, spec in fields.items():
        assert spec.get("type", "object") in VALID_TYPES, name
        if spec.get("type") == "text":
            assert spec.get("analyzer") == "dutch", name
        if spec.get("type") == "keyword" and "ignore_above" in spec:
            assert spec["ignore_above"] <= 8191, f"{name}: a longer term can exceed Lucene's 32766-byte limit"


def test_signal_field_types_follow_the_design() -> None:
    types = {name: spec.get("type", "object") for name, spec in SIGNAL_FIELDS.items()}
    keywords = ["id", "channel", "author", "pii", "language", "topic.code", "topic.label", "topics.code",
                "sentiment.label", "keywords", "place", "query.group", "model_version", "meta.team"]
    assert {n: types[n] for n in keywords} == {n: "keyword" for n in keywords}
    for name in ("text", "query.normalized"):
        assert types[name] == "text" and SIGNAL_FIELDS[name]["analyzer"] == "dutch"
        assert types[f"{name}.keyword"] == "keyword"
    assert {types[n] for n in ("created_at", "enriched_at")} == {"date"}
    assert {types[n] for n in ("topic.confidence", "topics.confidence", "sentiment.score")} == {"float"}
    assert types["needs_review"] == types["query.zero_result"] == "boolean"
    assert types["location"] == "geo_point"
    assert types["meta.results"] == "integer"


def test_alert_field_types_follow_the_design() -> None:
    types = {name: spec.get("type", "object") for name, spec in ALERT_FIELDS.items()}
    assert {types[n] for n in ("id", "topic", "scope.type", "scope.value", "new_terms", "examples.id",
                               "trigger", "link")} == {"keyword"}
    assert types["start"] == types["end"] == "date"
    assert {types[n] for n in ("observed", "expected", "ratio", "p_value")} <= {"long", "float", "double"}
    assert types["examples.text"] == "text"
    assert types["status"] == types["last_event"] == "keyword"     # `alerts --es-url --status` filters on it
    assert types["updated_at"] == "date"


def test_every_enriched_signal_field_in_the_schema_is_mapped() -> None:
    schema = json.loads((REPO / "pipeline" / "core" / "schemas" / "enriched_signal.schema.json").read_text())
    missing = [name for name in schema["properties"] if name not in SIGNAL_FIELDS]
    assert missing == []
    for name in ("normalized", "group", "zero_result"):
        assert f"query.{name}" in SIGNAL_FIELDS
    for name in schema["$defs"]["topic"]["properties"]:
        assert f"topic.{name}" in SIGNAL_FIELDS and f"topics.{name}" in SIGNAL_FIELDS


@pytest.mark.parametrize("doc", [sample_signal(1), sample_search(2), sample_signal(3, place=None, location="52.1,5.2")])
def test_sample_signals_fit_the_mapping(doc: dict[str, Any]) -> None:
    assert check_document(SIGNALS["template"]["mappings"], doc) is None


def test_sample_alert_fits_the_mapping() -> None:
    assert check_document(ALERTS["template"]["mappings"], sample_alert(1)) is None


def test_mapping_check_is_not_vacuous() -> None:
    mapping = SIGNALS["template"]["mappings"]
    assert check_document(mapping, sample_signal(1, created_at="morgen")) is not None
    assert check_document(mapping, sample_signal(1, topic="verkeer")) is not None
    assert check_document(mapping, sample_signal(1, location={"lat": 200, "lon": 5})) is not None


def test_daily_index_names_match_the_pattern_and_ilm_date_parsing() -> None:
    name = daily_index("stadssignaal-signals", datetime(2024, 5, 17, 23, 59, tzinfo=timezone.utc))
    assert name == "stadssignaal-signals-2024.05.17"
    assert ORIGINATION.match(name)
    pattern = SIGNALS["index_patterns"][0]
    assert re.fullmatch(pattern.replace("*", ".*"), name)
    assert not re.fullmatch(pattern.replace("*", ".*"), "stadssignaal-signals"), "the alias must not match"


def test_policy_deletes_after_the_retention_period() -> None:
    assert POLICY["policy"]["phases"] == {"delete": {"min_age": "90d", "actions": {"delete": {}}}}
    assert policy_body(EsConfig(retention_days=30))["policy"]["phases"]["delete"]["min_age"] == "30d"


def test_names_are_rewritten_from_the_config() -> None:
    config = EsConfig(signals_prefix="gemeente-x-signals", alerts_prefix="gemeente-x-alerts",
                      policy_name="gemeente-x-retention")
    body = template_body("signals", config)
    assert body["index_patterns"] == ["gemeente-x-signals-*"]
    assert body["template"]["aliases"] == {"gemeente-x-signals": {}}
    assert body["template"]["settings"]["index"]["lifecycle"]["name"] == "gemeente-x-retention"
    assert [r.path for r in setup_requests(config)] == [
        "/_ilm/policy/gemeente-x-retention", "/_index_template/gemeente-x-signals",
        "/_index_template/gemeente-x-alerts", "/_index_template/stadssignaal-deadletters"]


def test_default_flush_and_refresh_keep_documents_searchable_within_a_second() -> None:
    """Design guard (no timing): flush interval + refresh interval stay under one second."""
    refresh = SIGNALS["template"]["settings"]["index"]["refresh_interval"]
    seconds = float(refresh[:-2]) / 1000 if refresh.endswith("ms") else float(refresh[:-1])
    assert EsConfig().flush_interval + seconds < 1.0
    assert ALERTS["template"]["settings"]["index"]["refresh_interval"] == refresh


def _detector_alert_documents() -> list[dict[str, Any]]:
    """The Elasticsearch documents of a real alert as the detector emits it (opened, then updated)."""
    from pipeline.alerts.model import Alert, AlertEvent
    from pipeline.sinks.elasticsearch.alert_store import alert_documents

    start = datetime(2024, 5, 17, 8, 0, tzinfo=timezone.utc)
    alert = Alert(id="verkeer-20240517T0800Z", topic="verkeer", scope={"type": "place", "value": "Centrum"},
                  start=start, end=None, observed=31, expected=6.2, p_value=2e-9, trigger="volume",
                  related_scopes=[{"type": "topic", "value": "verkeer"}], severity="waarschuwing",
                  band=[1.4, 11.0])
    return alert_documents([AlertEvent("opened", alert, start)])


def test_severity_and_band_of_detector_alerts_are_mapped() -> None:
    types = {name: spec.get("type", "object") for name, spec in ALERT_FIELDS.items()}
    assert types["severity"] == "keyword"
    assert types["band"] == types["band_low"] == types["band_high"] == "float"
    assert types["related_scopes.type"] == types["related_scopes.value"] == "keyword"
    (doc,) = _detector_alert_documents()
    assert (doc["severity"], doc["band_low"], doc["band_high"]) == ("waarschuwing", 1.4, 11.0)
    assert check_document(ALERTS["template"]["mappings"], doc) is None
    unmapped = sorted(k for k in doc if k not in ALERTS["template"]["mappings"]["properties"])
    assert unmapped == [], unmapped         # every field a duty officer may filter on is indexed
