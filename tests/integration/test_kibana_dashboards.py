"""Validate the Kibana saved objects: well-formed, consistent ids and references, fields that exist
in the Elasticsearch mapping with a type that suits how each visualisation uses them."""
from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path
from typing import Any

import pytest

from pipeline.sinks.elasticsearch.index_design import TEMPLATE_DIR

REPO = Path(__file__).resolve().parents[2]
DASHBOARDS = REPO / "dashboards"
FILES = sorted(DASHBOARDS.glob("*.ndjson"))
NUMERIC = {"long", "integer", "float", "double"}
AGGREGATABLE = {"keyword", "boolean", "date"} | NUMERIC
USES = {"date_histogram": {"date"}, "terms": AGGREGATABLE, "average": NUMERIC, "max": NUMERIC, "min": NUMERIC,
        "sum": NUMERIC, "median": NUMERIC, "unique_count": AGGREGATABLE}
KQL_FIELD = re.compile(r"(?<![\w.])([A-Za-z_][\w.]*)\s*:")


def mapping_types(template_file: str) -> dict[str, str]:
    """Dotted field name -> type, including multi-field subfields, from a template data file."""
    mapping = json.loads((TEMPLATE_DIR / template_file).read_text())["template"]["mappings"]
    types: dict[str, str] = {}

    def walk(node: dict[str, Any], prefix: str) -> None:
        """Collect field types below `node`."""
        for name, spec in node.get("properties", {}).items():
            path = prefix + name
            if "properties" in spec:
                types[path] = "object"
                walk(spec, path + ".")
            else:
                types[path] = spec["type"]
                for sub, sub_spec in spec.get("fields", {}).items():
                    types[f"{path}.{sub}"] = sub_spec["type"]

    walk(mapping, "")
    return types


FIELDS_BY_TITLE = {"stadssignaal-signals": mapping_types("signals-template.json"),
                   "stadssignaal-alerts": mapping_types("alerts-template.json")}


def load(path: Path) -> list[dict[str, Any]]:
    """The objects of one NDJSON file (no blank lines allowed)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines and all(line.strip() for line in lines), f"{path.name}: no blank lines"
    return [json.loads(line) for line in lines]


OBJECTS = {path.name: load(path) for path in FILES}
ALL = [obj for objects in OBJECTS.values() for obj in objects]


def by_key(objects: list[dict[str, Any]]) -> dict[tuple[str, str], dict[str, Any]]:
    """Objects by (type, id)."""
    return {(o["type"], o["id"]): o for o in objects}


def fields_for(obj: dict[str, Any], objects: list[dict[str, Any]], ref_name: str) -> dict[str, str]:
    """The mapping of the data view that `obj` references under `ref_name`."""
    (ref,) = [r for r in obj["references"] if r["name"] == ref_name]
    assert ref["type"] == "index-pattern"
    view = by_key(objects)[("index-pattern", ref["id"])]
    return FIELDS_BY_TITLE[view["attributes"]["title"]]


def kql_fields(query: str) -> list[str]:
    """Field names used in a KQL query."""
    return KQL_FIELD.findall(query or "")


def test_the_three_dashboard_files_exist() -> None:
    assert [p.name for p in FILES] == ["alerts.ndjson", "live-listening.ndjson", "webteam.ndjson"]


def test_files_are_in_sync_with_the_generator() -> None:
    spec = importlib.util.spec_from_file_location("build_dashboards", DASHBOARDS / "build_dashboards.py")
    module = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(module)
    assert module.build(DASHBOARDS, check=True) == [], "run: python dashboards/build_dashboards.py"


@pytest.mark.parametrize("name", sorted(OBJECTS))
def test_objects_are_well_formed_and_self_contained(name: str) -> None:
    objects = OBJECTS[name]
    keys = [(o["type"], o["id"]) for o in objects]
    assert len(keys) == len(set(keys)), "duplicate ids"
    for obj in objects:
        assert set(obj) >= {"id", "type", "attributes", "references", "coreMigrationVersion", "typeMigrationVersion"}
        assert obj["type"] in {"index-pattern", "lens", "search", "dashboard"}
        assert re.fullmatch(r"[a-z0-9-]+", obj["id"])
        assert obj["attributes"]["title"]
        for ref in obj["references"]:
            assert (ref["type"], ref["id"]) in set(keys), f"{obj['id']} -> {ref} is not in {name}"
    assert sum(o["type"] == "dashboard" for o in objects) == 1


def test_shared_objects_are_identical_across_files() -> None:
    seen: dict[tuple[str, str], dict[str, Any]] = {}
    for obj in ALL:
        key = (obj["type"], obj["id"])
        assert seen.setdefault(key, obj) == obj, f"{key} differs between files"


def test_data_views_point_at_the_aliases_with_a_date_time_field() -> None:
    views = {o["id"]: o["attributes"] for o in ALL if o["type"] == "index-pattern"}
    assert {v["title"] for v in views.values()} == set(FIELDS_BY_TITLE)
    for attributes in views.values():
        fields = FIELDS_BY_TITLE[attributes["title"]]
        assert fields[attributes["timeFieldName"]] == "date"
        for field in json.loads(attributes["fieldAttrs"]):
            assert field in fields, field
    referenced = {r["id"] for o in ALL for r in o["references"] if r["type"] == "index-pattern"}
    assert referenced == set(views), "every data view is used and every reference is a known data view"


def lens_objects() -> list[tuple[dict[str, Any], list[dict[str, Any]]]]:
    """(lens object, objects of its file) pairs for parametrisation."""
    return [(o, objects) for objects in OBJECTS.values() for o in objects if o["type"] == "lens"]


@pytest.mark.parametrize("obj,objects", lens_objects(), ids=lambda v: v["id"] if isinstance(v, dict) else "")
def test_lens_layers_columns_and_fields(obj: dict[str, Any], objects: list[dict[str, Any]]) -> None:
    state = obj["attributes"]["state"]
    layers = state["datasourceStates"]["formBased"]["layers"]
    assert layers
    for layer_id, layer in layers.items():
        columns = layer["columns"]
        assert sorted(layer["columnOrder"]) == sorted(columns)
        fields = fields_for(obj, objects, f"indexpattern-datasource-layer-{layer_id}")
        for column_id, column in columns.items():
            for ref in column.get("references", []):
                assert ref in columns, f"{column_id} references missing column {ref}"
            operation = column["operationType"]
            source = column.get("sourceField")
            if source and source != "___records___":
                assert source in fields, f"{obj['id']}: {source} is not mapped"
                assert fields[source] in USES[operation], f"{obj['id']}: {operation} on {fields[source]} {source}"
            if operation == "terms":
                assert column["params"]["orderBy"]["columnId"] in columns
            for field in kql_fields(column.get("filter", {}).get("query", "")):
                assert field in fields, f"{obj['id']}: KQL field {field} is not mapped"
            if operation == "formula":
                for quoted in re.findall(r"kql='([^']*)'", column["params"]["formula"]):
                    assert all(f in fields for f in kql_fields(quoted))
        for field in kql_fields(state["query"]["query"]):
            assert field in fields, f"{obj['id']}: KQL field {field} is not mapped"
    visualization = state["visualization"]
    vis_type = obj["attributes"]["visualizationType"]
    all_columns = {c for layer in layers.values() for c in layer["columns"]}
    if vis_type == "lnsXY":
        for vis_layer in visualization["layers"]:
            assert vis_layer["layerId"] in layers
            used = [vis_layer["xAccessor"], *vis_layer["accessors"], vis_layer.get("splitAccessor")]
            assert all(c in all_columns for c in used if c)
    else:
        assert visualization["layerId"] in layers
        accessors = [visualization.get(k) for k in ("metricAccessor", "tagAccessor", "valueAccessor")]
        accessors += [c["columnId"] for c in visualization.get("columns", [])]
        accessors += [visualization.get("sorting", {}).get("columnId")]
        assert all(a in all_columns for a in accessors if a)


def test_saved_searches_use_mapped_fields() -> None:
    for objects in OBJECTS.values():
        for obj in (o for o in objects if o["type"] == "search"):
            source = json.loads(obj["attributes"]["kibanaSavedObjectMeta"]["searchSourceJSON"])
            fields = fields_for(obj, objects, source["indexRefName"])
            for column in obj["attributes"]["columns"]:
                assert column in fields, f"{obj['id']}: column {column} is not mapped"
            for field, direction in obj["attributes"]["sort"]:
                assert fields[field] == "date" and direction == "desc"
            assert all(f in fields for f in kql_fields(source["query"]["query"]))


@pytest.mark.parametrize("name", sorted(OBJECTS))
def test_dashboard_panels_match_references_and_fit_the_grid(name: str) -> None:
    objects = OBJECTS[name]
    keys = by_key(objects)
    (board,) = [o for o in objects if o["type"] == "dashboard"]
    panels = json.loads(board["attributes"]["panelsJSON"])
    refs = {r["name"]: r for r in board["references"]}
    assert len(refs) == len(panels) == len({p["panelIndex"] for p in panels})
    cells: set[tuple[int, int]] = set()
    for panel in panels:
        ref = refs[f"{panel['panelIndex']}:{panel['panelRefName']}"]
        assert ref["type"] == panel["type"] and (ref["type"], ref["id"]) in keys
        grid = panel["gridData"]
        assert grid["i"] == panel["panelIndex"] and 0 <= grid["x"] and grid["x"] + grid["w"] <= 48
        area = {(x, y) for x in range(grid["x"], grid["x"] + grid["w"]) for y in range(grid["y"], grid["y"] + grid["h"])}
        assert not cells & area, f"panel {panel['panelIndex']} overlaps another"
        cells |= area
    assert {k[1] for k in keys if k[0] in ("lens", "search")} == {r["id"] for r in refs.values()}, \
        "every visualisation is on the dashboard"
    assert board["attributes"]["timeRestore"] is True


def columns_of(obj: dict[str, Any]) -> list[dict[str, Any]]:
    """All Lens columns of an object."""
    layers = obj["attributes"]["state"]["datasourceStates"]["formBased"]["layers"]
    return [c for layer in layers.values() for c in layer["columns"].values()]


def uses(obj: dict[str, Any], operation: str, field: str | None = None) -> bool:
    """True when a Lens object has a column with this operation (and field)."""
    return any(c["operationType"] == operation and (field is None or c.get("sourceField") == field)
               for c in columns_of(obj))


def test_live_listening_has_what_the_issue_asks() -> None:
    lenses = [o for o in OBJECTS["live-listening.ndjson"] if o["type"] == "lens"]
    over_time = [o for o in lenses if uses(o, "date_histogram", "created_at")]
    assert any(uses(o, "terms", "channel") for o in over_time), "volume by channel over time"
    assert any(uses(o, "terms", "topic.code") for o in over_time), "volume by topic over time"
    assert any(uses(o, "terms", "sentiment.label") or uses(o, "average", "sentiment.score") for o in over_time)
    assert any(o["attributes"]["visualizationType"] == "lnsTagcloud" and uses(o, "terms", "keywords")
               for o in lenses), "top keywords"
    searches = [o for o in OBJECTS["live-listening.ndjson"] if o["type"] == "search"]
    assert any("text" in s["attributes"]["columns"] for s in searches), "latest messages"


def test_webteam_has_what_the_issue_asks() -> None:
    objects = OBJECTS["webteam.ndjson"]
    lenses = [o for o in objects if o["type"] == "lens"]
    for obj in lenses:
        assert 'channel : "site_search"' in obj["attributes"]["state"]["query"]["query"]
    assert any(uses(o, "terms", "query.group") and "query.zero_result : true" in
               o["attributes"]["state"]["query"]["query"] for o in lenses), "top zero-result groups"
    assert any(uses(o, "date_histogram", "created_at") and uses(o, "formula") and
               any("zero_result" in (c.get("filter") or {}).get("query", "") for c in columns_of(o))
               for o in lenses), "zero-result rate over time"
    assert any(uses(o, "terms", "query.group") and any(c.get("timeShift") for c in columns_of(o))
               for o in lenses), "new and rising groups (compared with an earlier period)"
    searches = [o for o in objects if o["type"] == "search"]
    assert any("query.normalized" in s["attributes"]["columns"] for s in searches), "all queries"


def test_alerts_dashboard_has_timeline_and_details() -> None:
    objects = OBJECTS["alerts.ndjson"]
    assert any(o["type"] == "lens" and uses(o, "date_histogram", "start") for o in objects)
    (details,) = [o for o in objects if o["type"] == "search"]
    assert {"topic", "scope.value", "observed", "expected", "ratio", "link"} <= set(details["attributes"]["columns"])
