"""Generate the Kibana saved objects (NDJSON) in this folder from compact panel definitions.

Run `python dashboards/build_dashboards.py` after changing a definition (or `--check` to verify the
committed files are up to date). Objects use the Kibana 8.x export format (Lens with the
`formBased` datasource, dashboards with by-reference panels); Kibana 8.x and 9.x migrate them on import.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
CORE_MIGRATION = "8.8.0"
TYPE_MIGRATION = {"index-pattern": "8.0.0", "lens": "8.9.0", "search": "8.0.0", "dashboard": "8.7.0"}
PANEL_VERSION = "8.9.0"
RECORDS = "___records___"

SIGNALS_DATA_VIEW = "stadssignaal-signals-data-view"
ALERTS_DATA_VIEW = "stadssignaal-alerts-data-view"
SITE_SEARCH = 'channel : "site_search"'

# --------------------------------------------------------------------------- data views


def data_view(view_id: str, title: str, name: str, time_field: str, labels: dict[str, str]) -> dict[str, Any]:
    """An index-pattern (data view) over a read alias; fields are read from Elasticsearch at run time."""
    return saved_object(view_id, "index-pattern", {
        "title": title,
        "name": name,
        "timeFieldName": time_field,
        "allowNoIndex": True,
        "fields": "[]",
        "runtimeFieldMap": "{}",
        "fieldFormatMap": "{}",
        "typeMeta": "{}",
        "fieldAttrs": json.dumps({f: {"customLabel": label} for f, label in labels.items()},
                                 ensure_ascii=False, separators=(",", ":")),
    }, [])


def signals_view() -> dict[str, Any]:
    """Data view over the `stadssignaal-signals` alias, time field `created_at`."""
    return data_view(SIGNALS_DATA_VIEW, "stadssignaal-signals", "Stadssignaal - signalen", "created_at", {
        "created_at": "Tijdstip", "channel": "Kanaal", "topic.code": "Onderwerp", "sentiment.label": "Sentiment",
        "sentiment.score": "Sentimentscore", "place": "Wijk", "text": "Bericht", "keywords": "Trefwoord",
        "query.group": "Zoekgroep", "query.subject": "Hoofdterm", "query.normalized": "Zoekterm",
        "query.zero_result": "Geen resultaat",
        "meta.results": "Aantal resultaten"})


def alerts_view() -> dict[str, Any]:
    """Data view over the `stadssignaal-alerts` alias, time field `start`."""
    return data_view(ALERTS_DATA_VIEW, "stadssignaal-alerts", "Stadssignaal - alerts", "start", {
        "start": "Begin", "end": "Einde", "topic": "Onderwerp", "scope.type": "Soort gebied",
        "scope.value": "Gebied", "observed": "Waargenomen", "expected": "Verwacht", "ratio": "Verhouding",
        "p_value": "p-waarde", "new_terms": "Nieuwe termen", "trigger": "Aanleiding", "link": "Link"})


# --------------------------------------------------------------------------- Lens columns


def date_column(field: str) -> dict[str, Any]:
    """Date histogram with an automatic interval."""
    return {"label": field, "dataType": "date", "operationType": "date_histogram", "sourceField": field,
            "isBucketed": True, "scale": "interval",
            "params": {"interval": "auto", "includeEmptyRows": True, "dropPartials": False}}


def terms_column(field: str, label: str, order_by: str, size: int, data_type: str = "string",
                 other: bool = False) -> dict[str, Any]:
    """Top values of `field`, ordered by the metric column `order_by`."""
    return {"label": label, "customLabel": True, "dataType": data_type, "operationType": "terms",
            "sourceField": field, "isBucketed": True, "scale": "ordinal",
            "params": {"size": size, "orderBy": {"type": "column", "columnId": order_by}, "orderDirection": "desc",
                       "otherBucket": other, "missingBucket": False, "parentFormat": {"id": "terms"}}}


def count_column(label: str, kql: str | None = None, shift: str | None = None) -> dict[str, Any]:
    """Count of documents, optionally filtered by KQL or shifted back in time."""
    column: dict[str, Any] = {"label": label, "customLabel": True, "dataType": "number", "operationType": "count",
                              "sourceField": RECORDS, "isBucketed": False, "scale": "ratio",
                              "params": {"emptyAsNull": False}}
    if kql:
        column["filter"] = {"query": kql, "language": "kuery"}
    if shift:
        column["timeShift"] = shift
    return column


def metric_column(operation: str, field: str, label: str) -> dict[str, Any]:
    """average / max / sum of a numeric field."""
    return {"label": label, "customLabel": True, "dataType": "number", "operationType": operation,
            "sourceField": field, "isBucketed": False, "scale": "ratio", "params": {"emptyAsNull": True}}


def binary_formula(column_id: str, label: str, formula: str, operator: str, left: dict[str, Any],
                   right: dict[str, Any], number_format: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """A Lens formula `left <operator> right` with the helper columns Lens stores next to it."""
    left_id, right_id, math_id = f"{column_id}X0", f"{column_id}X1", f"{column_id}X2"
    part = f"Part of {label}"
    return {
        left_id: {**left, "label": part},
        right_id: {**right, "label": part},
        math_id: {"label": part, "customLabel": True, "dataType": "number", "operationType": "math",
                  "isBucketed": False, "scale": "ratio", "references": [left_id, right_id],
                  "params": {"tinymathAst": {"type": "function", "name": operator, "args": [left_id, right_id],
                                             "location": {"min": 0, "max": len(formula)}, "text": formula}}},
        column_id: {"label": label, "customLabel": True, "dataType": "number", "operationType": "formula",
                    "isBucketed": False, "scale": "ratio", "references": [math_id],
                    "params": {"formula": formula, "isFormulaBroken": False, "format": number_format}},
    }


PERCENT = {"id": "percent", "params": {"decimals": 1}}
NUMBER = {"id": "number", "params": {"decimals": 0}}


def share_formula(column_id: str, label: str, kql: str) -> dict[str, dict[str, Any]]:
    """Share of documents matching `kql`: count(kql=...) / count()."""
    formula = f"count(kql='{kql}') / count()"
    return binary_formula(column_id, label, formula, "divide", count_column("x", kql=kql), count_column("x"), PERCENT)


# --------------------------------------------------------------------------- Lens objects


def saved_object(object_id: str, object_type: str, attributes: dict[str, Any],
                 references: list[dict[str, str]]) -> dict[str, Any]:
    """One saved object in export format."""
    return {"id": object_id, "type": object_type, "attributes": attributes, "references": references,
            "managed": False, "coreMigrationVersion": CORE_MIGRATION,
            "typeMigrationVersion": TYPE_MIGRATION[object_type]}


def lens(object_id: str, title: str, description: str, view_id: str, vis_type: str,
         columns: dict[str, dict[str, Any]], visualization: dict[str, Any], query: str = "") -> dict[str, Any]:
    """A Lens visualization with one formBased layer named `<object_id>-layer`."""
    layer = f"{object_id}-layer"
    if vis_type == "lnsXY":
        settings = {k: v for k, v in visualization.items() if k != "layer"}
        vis_state = {**settings, "layers": [{"layerId": layer, "layerType": "data", **visualization["layer"]}]}
    else:
        vis_state = {"layerId": layer, "layerType": "data", **visualization}
    state = {
        "datasourceStates": {"formBased": {"layers": {layer: {
            "columns": columns, "columnOrder": list(columns), "incompleteColumns": {}}}}},
        "visualization": vis_state,
        "query": {"query": query, "language": "kuery"},
        "filters": [],
        "internalReferences": [],
        "adHocDataViews": {},
    }
    return saved_object(object_id, "lens", {"title": title, "description": description,
                                            "visualizationType": vis_type, "state": state},
                        [{"type": "index-pattern", "id": view_id, "name": f"indexpattern-datasource-layer-{layer}"}])


def xy(series: str, x: str, accessors: list[str], split: str | None = None, legend: bool = True) -> dict[str, Any]:
    """lnsXY visualization state with one data layer (the layer ids are filled in by lens())."""
    layer: dict[str, Any] = {"seriesType": series, "xAccessor": x, "accessors": accessors}
    if split:
        layer["splitAccessor"] = split
    return {"preferredSeriesType": series, "legend": {"isVisible": legend, "position": "right"},
            "valueLabels": "hide", "fittingFunction": "None", "layer": layer,
            "axisTitlesVisibilitySettings": {"x": False, "yLeft": True, "yRight": True}}


def metric(title: str, object_id: str, view_id: str, columns: dict[str, dict[str, Any]], accessor: str,
           query: str = "", description: str = "") -> dict[str, Any]:
    """A single-number Lens metric."""
    return lens(object_id, title, description, view_id, "lnsMetric", columns, {"metricAccessor": accessor}, query)


def saved_search(object_id: str, title: str, description: str, view_id: str, columns: list[str],
                 sort_field: str, query: str = "") -> dict[str, Any]:
    """A saved search (Discover session) listing documents newest first."""
    source = {"query": {"query": query, "language": "kuery"}, "filter": [], "highlightAll": True, "version": True,
              "indexRefName": "kibanaSavedObjectMeta.searchSourceJSON.index"}
    return saved_object(object_id, "search", {
        "title": title, "description": description, "columns": columns, "sort": [[sort_field, "desc"]],
        "grid": {}, "hideChart": False,
        "kibanaSavedObjectMeta": {"searchSourceJSON": json.dumps(source, ensure_ascii=False, separators=(",", ":"))},
    }, [{"name": "kibanaSavedObjectMeta.searchSourceJSON.index", "type": "index-pattern", "id": view_id}])


def dashboard(object_id: str, title: str, description: str, time_from: str, refresh_ms: int | None,
              panels: list[tuple[dict[str, Any], int, int, int, int]]) -> dict[str, Any]:
    """A dashboard of by-reference panels: (object, x, y, width, height) on Kibana's 48-column grid."""
    panel_json = []
    references = []
    for number, (obj, x, y, w, h) in enumerate(panels, start=1):
        index = str(number)
        panel_json.append({"version": PANEL_VERSION, "type": obj["type"], "panelIndex": index,
                           "gridData": {"x": x, "y": y, "w": w, "h": h, "i": index},
                           "embeddableConfig": {"enhancements": {}}, "panelRefName": f"panel_{index}"})
        references.append({"name": f"{index}:panel_{index}", "type": obj["type"], "id": obj["id"]})
    return saved_object(object_id, "dashboard", {
        "title": title, "description": description, "version": 1,
        "panelsJSON": json.dumps(panel_json, ensure_ascii=False, separators=(",", ":")),
        "optionsJSON": json.dumps({"useMargins": True, "syncColors": True, "syncCursor": True,
                                   "syncTooltips": False, "hidePanelTitles": False}, separators=(",", ":")),
        "timeRestore": True, "timeFrom": time_from, "timeTo": "now",
        "refreshInterval": {"pause": refresh_ms is None, "value": refresh_ms or 60000},
        "kibanaSavedObjectMeta": {"searchSourceJSON": json.dumps(
            {"query": {"query": "", "language": "kuery"}, "filter": []}, separators=(",", ":"))},
    }, references)


# --------------------------------------------------------------------------- the three dashboards


def live_listening() -> list[dict[str, Any]]:
    """(a) Live listening for communication advisers: volume, topics, sentiment, keywords, messages."""
    v = SIGNALS_DATA_VIEW
    total = metric("Berichten", "ss-live-total", v, {"count": count_column("Berichten")}, "count")
    negative = metric("Aandeel negatief", "ss-live-negative-share", v,
                      share_formula("share", "Aandeel negatief", 'sentiment.label : "negative"'), "share")
    by_channel = lens("ss-live-volume-channel", "Volume per kanaal", "Aantal berichten per kanaal over de tijd",
                      v, "lnsXY", {"date": date_column("created_at"), "count": count_column("Berichten"),
                                   "channel": terms_column("channel", "Kanaal", "count", 10)},
                      xy("bar_stacked", "date", ["count"], "channel"))
    by_topic = lens("ss-live-volume-topic", "Volume per onderwerp", "Aantal berichten per onderwerp over de tijd",
                    v, "lnsXY", {"date": date_column("created_at"), "count": count_column("Berichten"),
                                 "topic": terms_column("topic.code", "Onderwerp", "count", 12, other=True)},
                    xy("bar_stacked", "date", ["count"], "topic"))
    sentiment_share = lens("ss-live-sentiment", "Sentiment over de tijd",
                           "Verdeling negatief / neutraal / positief", v, "lnsXY",
                           {"date": date_column("created_at"), "count": count_column("Berichten"),
                            "label": terms_column("sentiment.label", "Sentiment", "count", 3)},
                           xy("bar_percentage_stacked", "date", ["count"], "label"))
    sentiment_score = lens("ss-live-sentiment-score", "Gemiddelde sentimentscore",
                           "Gemiddelde score (-1 negatief .. 1 positief) over de tijd", v, "lnsXY",
                           {"date": date_column("created_at"),
                            "score": metric_column("average", "sentiment.score", "Gemiddelde score")},
                           xy("line", "date", ["score"], legend=False))
    keywords = lens("ss-live-keywords", "Meest genoemde trefwoorden", "Top trefwoorden in de gekozen periode",
                    v, "lnsTagcloud", {"keyword": terms_column("keywords", "Trefwoord", "count", 40),
                                       "count": count_column("Berichten")},
                    {"tagAccessor": "keyword", "valueAccessor": "count", "maxFontSize": 60, "minFontSize": 14,
                     "orientation": "single", "showLabel": False})
    places = lens("ss-live-places", "Berichten per wijk", "Wijken die in berichten genoemd worden", v, "lnsXY",
                  {"place": terms_column("place", "Wijk", "count", 15), "count": count_column("Berichten")},
                  xy("bar_horizontal", "place", ["count"], legend=False))
    latest = saved_search("ss-live-latest", "Laatste berichten", "De nieuwste berichten, zonder persoonsgegevens",
                          v, ["channel", "topic.code", "sentiment.label", "place", "text"], "created_at")
    board = dashboard("ss-dashboard-live", "Stadssignaal - live meeluisteren",
                      "Wat zeggen inwoners nu: volume per kanaal en onderwerp, sentiment, trefwoorden en de "
                      "laatste berichten.", "now-24h", 60000,
                      [(total, 0, 0, 12, 6), (negative, 12, 0, 12, 6), (keywords, 24, 0, 24, 14),
                       (by_channel, 0, 6, 24, 12), (by_topic, 0, 18, 24, 14), (places, 24, 14, 24, 18),
                       (sentiment_share, 0, 32, 24, 12), (sentiment_score, 24, 32, 24, 12),
                       (latest, 0, 44, 48, 20)])
    return [signals_view(), total, negative, by_channel, by_topic, sentiment_share, sentiment_score,
            keywords, places, latest, board]


def webteam() -> list[dict[str, Any]]:
    """(b) Site search for the webteam: zero-result groups, zero-result rate, new and rising groups, queries."""
    v = SIGNALS_DATA_VIEW
    zero_kql = "query.zero_result : true"
    searches = metric("Zoekopdrachten", "ss-web-total", v, {"count": count_column("Zoekopdrachten")}, "count",
                      SITE_SEARCH)
    zero_share = metric("Zonder resultaat", "ss-web-zero-share", v,
                        share_formula("share", "Aandeel zonder resultaat", zero_kql), "share", SITE_SEARCH)
    top_zero = lens("ss-web-top-zero", "Meest gezocht zonder resultaat",
                    "Zoekgroepen (spellingvarianten samen) die niets opleverden", v, "lnsXY",
                    {"group": terms_column("query.group", "Zoekgroep", "count", 20),
                     "count": count_column("Zoekopdrachten")},
                    xy("bar_horizontal", "group", ["count"], legend=False), f"{SITE_SEARCH} and {zero_kql}")
    rate = lens("ss-web-zero-rate", "Aandeel zoekopdrachten zonder resultaat",
                "Percentage zoekopdrachten zonder resultaat over de tijd", v, "lnsXY",
                {"date": date_column("created_at"), **share_formula("rate", "Zonder resultaat", zero_kql)},
                xy("line", "date", ["rate"], legend=False), SITE_SEARCH)
    growth_formula = "count() - count(shift='1w')"
    rising_columns = {
        "group": terms_column("query.group", "Zoekgroep", "count", 50),
        "count": count_column("Deze periode"),
        "previous": count_column("Week eerder", shift="1w"),
        "zero": count_column("Zonder resultaat", kql=zero_kql),
        **binary_formula("growth", "Groei", growth_formula, "subtract", count_column("x"),
                         count_column("x", shift="1w"), NUMBER),
    }
    rising = lens("ss-web-rising", "Nieuwe en stijgende zoekgroepen",
                  "Zoekgroepen met de grootste groei ten opzichte van een week eerder; leeg bij 'Week eerder' "
                  "betekent nieuw", v, "lnsDatatable", rising_columns,
                  {"columns": [{"columnId": c} for c in ("group", "count", "previous", "zero", "growth")],
                   "sorting": {"columnId": "growth", "direction": "desc"}, "rowHeight": "single",
                   "rowHeightLines": 1}, SITE_SEARCH)
    queries = saved_search("ss-web-queries", "Alle zoekopdrachten", "Alle zoektermen op de website, nieuwste eerst",
                           v, ["text", "query.normalized", "query.subject", "query.group", "query.zero_result",
                               "meta.results"],
                           "created_at", SITE_SEARCH)
    board = dashboard("ss-dashboard-webteam", "Stadssignaal - zoektermen webteam",
                      "Wat zoeken inwoners op de website en wat vinden ze niet: zoekgroepen zonder resultaat, "
                      "het aandeel zonder resultaat, nieuwe en stijgende zoekgroepen en alle zoekopdrachten.",
                      "now-7d", None,
                      [(searches, 0, 0, 12, 6), (zero_share, 12, 0, 12, 6), (rate, 24, 0, 24, 12),
                       (top_zero, 0, 6, 24, 18), (rising, 24, 12, 24, 18), (queries, 0, 30, 48, 20)])
    return [signals_view(), searches, zero_share, top_zero, rate, rising, queries, board]


def alerts() -> list[dict[str, Any]]:
    """(c) Alerts for management and duty officers: a timeline and the details of each alert."""
    v = ALERTS_DATA_VIEW
    total = metric("Alerts", "ss-alerts-total", v, {"count": count_column("Alerts")}, "count")
    timeline = lens("ss-alerts-timeline", "Alerts over de tijd", "Pieken per onderwerp", v, "lnsXY",
                    {"date": date_column("start"), "count": count_column("Alerts"),
                     "topic": terms_column("topic", "Onderwerp", "count", 12)},
                    xy("bar_stacked", "date", ["count"], "topic"))
    ratio = lens("ss-alerts-ratio", "Hoe groot waren de pieken", "Hoogste verhouding waargenomen / verwacht",
                 v, "lnsXY", {"date": date_column("start"), "ratio": metric_column("max", "ratio", "Verhouding"),
                              "topic": terms_column("topic", "Onderwerp", "ratio", 12)},
                 xy("line", "date", ["ratio"], "topic"))
    places = lens("ss-alerts-places", "Alerts per gebied", "Gebieden met de meeste alerts", v, "lnsXY",
                  {"area": terms_column("scope.value", "Gebied", "count", 15), "count": count_column("Alerts")},
                  xy("bar_horizontal", "area", ["count"], legend=False))
    details = saved_search("ss-alerts-details", "Alerts in detail",
                           "Onderwerp, gebied, waargenomen tegenover verwacht, nieuwe termen, voorbeelden en link",
                           v, ["topic", "scope.type", "scope.value", "observed", "expected", "ratio", "p_value",
                               "new_terms", "examples.text", "trigger", "end", "link"], "start")
    board = dashboard("ss-dashboard-alerts", "Stadssignaal - alerts",
                      "Pieken in onderwerpen: wanneer, waar, hoe groot en met voorbeeldberichten.",
                      "now-30d", 60000,
                      [(total, 0, 0, 12, 8), (timeline, 12, 0, 36, 14), (places, 0, 8, 12, 14),
                       (ratio, 12, 14, 36, 12), (details, 0, 26, 48, 22)])
    return [alerts_view(), total, timeline, ratio, places, details, board]


FILES = {"live-listening.ndjson": live_listening, "webteam.ndjson": webteam, "alerts.ndjson": alerts}


def render(objects: list[dict[str, Any]]) -> str:
    """NDJSON text: one compact object per line."""
    return "".join(json.dumps(o, ensure_ascii=False, separators=(",", ":")) + "\n" for o in objects)


def build(directory: Path = HERE, check: bool = False) -> list[str]:
    """Write (or with check, compare) every file; return the names that differ or were written."""
    changed = []
    for name, make in FILES.items():
        text = render(make())
        path = directory / name
        current = path.read_text(encoding="utf-8") if path.exists() else None
        if current != text:
            changed.append(name)
            if not check:
                path.write_text(text, encoding="utf-8")
    return changed


def main() -> int:
    """Command line: write the files, or with --check exit 1 when they are out of date."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only report files that are out of date")
    args = parser.parse_args()
    changed = build(check=args.check)
    for name in changed:
        print(("out of date: " if args.check else "wrote ") + name)
    return 1 if args.check and changed else 0


if __name__ == "__main__":
    sys.exit(main())
