"""The index design as requests: ILM policy, index templates, alias and mapping fixes for existing indices.

The bodies come from the JSON files in `templates/`; only names and the retention period are
rewritten from the EsConfig. Everything here is pure: `pipeline.sinks.elasticsearch.setup` sends the requests.
"""
from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipeline.sinks.elasticsearch.config import EsConfig

TEMPLATE_DIR = Path(__file__).resolve().parent / "templates"
TEMPLATE_FILES = {"signals": "signals-template.json", "alerts": "alerts-template.json",
                  "deadletters": "deadletters-template.json"}
POLICY_FILE = "retention-policy.json"
KINDS = ("signals", "alerts", "deadletters")


@dataclass(frozen=True)
class EsRequest:
    """One REST request: method, path, optional JSON body and what it is for."""

    method: str
    path: str
    body: Any = None
    purpose: str = ""

    def describe(self) -> str:
        """`METHOD /path`, the purpose, and the body as indented JSON (for --dry-run)."""
        lines = [f"{self.method} {self.path}" + (f"    # {self.purpose}" if self.purpose else "")]
        if self.body is not None:
            lines.append(json.dumps(self.body, indent=2, ensure_ascii=False))
        return "\n".join(lines)


def load_json(name: str) -> dict[str, Any]:
    """A JSON file from templates/."""
    with open(TEMPLATE_DIR / name, encoding="utf-8") as handle:
        return json.load(handle)


def prefix_for(kind: str, config: EsConfig) -> str:
    """The index prefix (and read alias) for 'signals', 'alerts' or 'deadletters'."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}")
    return config.prefix_for(kind)


def policy_body(config: EsConfig) -> dict[str, Any]:
    """The ILM policy with the configured retention as the delete phase's min_age."""
    body = load_json(POLICY_FILE)
    body["policy"]["phases"]["delete"]["min_age"] = f"{int(config.retention_days)}d"
    body["policy"]["_meta"]["retention_days"] = int(config.retention_days)
    return body


def template_body(kind: str, config: EsConfig) -> dict[str, Any]:
    """The composable index template for `kind`, with the configured prefix, alias and policy."""
    prefix = prefix_for(kind, config)
    body = load_json(TEMPLATE_FILES[kind])
    body["index_patterns"] = [f"{prefix}-*"]
    body["template"]["aliases"] = {prefix: {}}
    body["template"]["settings"]["index"]["lifecycle"]["name"] = config.policy_name
    return body


def mapping_body(kind: str, config: EsConfig) -> dict[str, Any]:
    """The mappings of the template (for updating indices that already exist)."""
    return copy.deepcopy(template_body(kind, config)["template"]["mappings"])


def setup_requests(config: EsConfig) -> list[EsRequest]:
    """The requests `es setup` always sends, in order (each is idempotent: PUT overwrites)."""
    requests = [EsRequest("PUT", f"/_ilm/policy/{config.policy_name}", policy_body(config),
                          f"delete indices {config.retention_days} days after their day")]
    for kind in KINDS:
        prefix = prefix_for(kind, config)
        requests.append(EsRequest("PUT", f"/_index_template/{prefix}", template_body(kind, config),
                                  f"mappings, settings and alias for {prefix}-YYYY.MM.DD"))
    return requests


def alias_lookup(kind: str, config: EsConfig) -> EsRequest:
    """The request that lists existing indices of `kind` and their aliases."""
    prefix = prefix_for(kind, config)
    return EsRequest("GET", f"/{prefix}-*/_alias", None, f"existing {kind} indices and their aliases")


def existing_index_requests(kind: str, config: EsConfig, existing: dict[str, Any]) -> list[EsRequest]:
    """For indices that already exist: add the read alias where missing and add new mapping fields."""
    if not existing:
        return []
    prefix = prefix_for(kind, config)
    requests: list[EsRequest] = []
    missing = sorted(name for name, info in existing.items()
                     if prefix not in ((info or {}).get("aliases") or {}))
    if missing:
        actions = [{"add": {"index": name, "alias": prefix}} for name in missing]
        requests.append(EsRequest("POST", "/_aliases", {"actions": actions},
                                  f"add alias {prefix} to {len(missing)} existing indices"))
    requests.append(EsRequest("PUT", f"/{prefix}-*/_mapping", mapping_body(kind, config),
                              f"add new fields to the {len(existing)} existing {kind} indices"))
    return requests
