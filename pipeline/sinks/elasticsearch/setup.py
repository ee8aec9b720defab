"""`stadssignaal es setup`: create or update the ILM policy, index templates and aliases, idempotently."""
from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from typing import Any, Callable

from elastic_transport import TransportError
from elasticsearch import ApiError

from pipeline.sinks.elasticsearch.client import build_client
from pipeline.sinks.elasticsearch.client import request as es_request
from pipeline.sinks.elasticsearch.config import EsConfig
from pipeline.sinks.elasticsearch.index_design import (
    KINDS,
    EsRequest,
    alias_lookup,
    existing_index_requests,
    prefix_for,
    setup_requests,
)

log = logging.getLogger(__name__)

SUPPORTED_MAJORS = (8, 9)


class SetupError(RuntimeError):
    """Elasticsearch refused a setup request or is not a supported version."""


@dataclass
class SetupReport:
    """What setup did: the requests sent (or planned) and the server version."""

    server_version: str | None = None
    sent: list[EsRequest] = field(default_factory=list)
    dry_run: bool = False


def dry_run_plan(config: EsConfig) -> list[str]:
    """Every request setup would send, described; conditional ones are marked as such."""
    lines = ["GET /    # check the server is Elasticsearch 8.x or 9.x"]
    lines += [r.describe() for r in setup_requests(config)]
    for kind in KINDS:
        prefix = prefix_for(kind, config)
        lines.append(alias_lookup(kind, config).describe())
        example = {f"{prefix}-YYYY.MM.DD": {"aliases": {}}}
        for request in existing_index_requests(kind, config, example):
            generic = replace(request, purpose=f"only for existing {kind} indices"
                              + (" without the alias" if request.path == "/_aliases" else ""))
            lines.append(generic.describe())
    return lines


def _send(client: Any, request: EsRequest) -> Any:
    """Send one request and return its JSON body; SetupError with the server's reason on failure."""
    try:
        return es_request(client, request.method, request.path, body=request.body).body
    except ApiError as err:
        raise SetupError(f"{request.method} {request.path} failed: HTTP {err.meta.status} {err.message}"
                         f"{_cause(err.body)}") from None
    except TransportError as err:
        raise SetupError(f"{request.method} {request.path} failed: {type(err).__name__}: {err.message}") from None


def _cause(body: Any) -> str:
    """The deepest reason in an Elasticsearch error body, in brackets."""
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        error = body["error"]
        reason = error.get("caused_by", {}).get("reason") if isinstance(error.get("caused_by"), dict) else None
        return f" ({reason or error.get('reason', '')})"
    return ""


def run_setup(config: EsConfig, dry_run: bool = False, echo: Callable[[str], None] = print,
              client: Any = None) -> SetupReport:
    """Send (or with dry_run only print) the setup requests; raise SetupError on the first refusal."""
    report = SetupReport(dry_run=dry_run)
    if dry_run:
        for line in dry_run_plan(config):
            echo(line)
        return report
    own = client is None
    client = build_client(config) if own else client
    try:
        try:
            info = _send(client, EsRequest("GET", "/"))
        except SetupError as err:
            if "media_type_header_exception" in str(err):
                raise SetupError(f"the server is not Elasticsearch 8.x or 9.x: {err}") from None
            raise
        version = str((info or {}).get("version", {}).get("number", "?"))
        report.server_version = version
        major = int(version.split(".")[0]) if version[:1].isdigit() else 0
        if major not in SUPPORTED_MAJORS:
            raise SetupError(f"Elasticsearch {version} is not supported; use 8.x or 9.x")
        echo(f"Elasticsearch {version} at {', '.join(config.urls)}")
        plan = list(setup_requests(config))
        for request in plan:
            _send(client, request)
            report.sent.append(request)
            echo(f"ok  {request.method} {request.path}")
        for kind in KINDS:
            existing = _send(client, alias_lookup(kind, config)) or {}
            for request in existing_index_requests(kind, config, existing):
                _send(client, request)
                report.sent.append(request)
                echo(f"ok  {request.method} {request.path}  ({request.purpose})")
        echo(f"setup complete: retention {config.retention_days} days, aliases "
             f"{', '.join(prefix_for(k, config) for k in KINDS)}")
        return report
    finally:
        if own:
            client.close()

