"""The EnrichedSignal type and the published JSON schema describe the same fields."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from pipeline.core.enriched import EnrichedSignal, QueryAnalysis, Sentiment, TopicScore

SCHEMA = json.loads((Path(__file__).resolve().parents[2] / "pipeline" / "core" / "schemas"
                     / "enriched_signal.schema.json").read_text())


def test_top_level_fields_and_required_ones_match() -> None:
    assert set(EnrichedSignal.__annotations__) == set(SCHEMA["properties"])
    assert set(EnrichedSignal.__required_keys__) == set(SCHEMA["required"])


@pytest.mark.parametrize(("typed", "schema"), [
    (TopicScore, SCHEMA["$defs"]["topic"]),
    (Sentiment, SCHEMA["properties"]["sentiment"]),
    (QueryAnalysis, SCHEMA["properties"]["query"]),
])
def test_nested_objects_match(typed: Any, schema: dict[str, Any]) -> None:
    assert set(typed.__annotations__) == set(schema["properties"])
    assert set(typed.__required_keys__) == set(schema["required"])
