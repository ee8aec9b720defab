"""The bulk API in both directions: the NDJSON request body, and sorting the per-item results."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Sequence

from pipeline.sinks.elasticsearch.documents import PreparedDoc

RETRYABLE_STATUS = frozenset({429, 500, 502, 503, 504})
# Only what the sink reads; keeps responses small on large batches.
BULK_FILTER_PATH = "errors,items.*.status,items.*.error.type,items.*.error.reason,items.*._id"


def action_line(item: PreparedDoc) -> bytes:
    """The `index` action for one document (overwrites a document with the same `_id`)."""
    return json.dumps({"index": {"_index": item.index, "_id": item.doc_id}},
                      ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def encode_bulk(items: Sequence[PreparedDoc]) -> bytes:
    """The NDJSON body: an action line and a source line per document, newline-terminated."""
    parts: list[bytes] = []
    for item in items:
        parts.append(action_line(item))
        parts.append(item.source)
    parts.append(b"")
    return b"\n".join(parts)


@dataclass
class BulkOutcome:
    """Per-item results of one bulk response, as positions in the request."""

    ok: list[int] = field(default_factory=list)
    retry: list[tuple[int, str]] = field(default_factory=list)
    failed: list[tuple[int, str]] = field(default_factory=list)


class BulkProtocolError(RuntimeError):
    """A bulk response that does not match the request (missing or extra items)."""


def _reason(result: dict[str, Any]) -> str:
    """A one-line dead-letter reason from a bulk item result."""
    status = result.get("status")
    error = result.get("error")
    if isinstance(error, dict):
        kind = error.get("type", "error")
        text = str(error.get("reason", ""))[:500]
        return f"HTTP {status} {kind}: {text}".rstrip(": ")
    if error:
        return f"HTTP {status}: {str(error)[:500]}"
    return f"HTTP {status}"


def classify(body: Any, items: Sequence[PreparedDoc]) -> BulkOutcome:
    """Sort each item of a bulk response into ok, retry (429/5xx) or failed (other 4xx)."""
    if not isinstance(body, dict) or not isinstance(body.get("items"), list):
        raise BulkProtocolError("bulk response without an `items` list")
    results = body["items"]
    if len(results) != len(items):
        raise BulkProtocolError(f"bulk response has {len(results)} items for {len(items)} documents")
    outcome = BulkOutcome()
    if body.get("errors") is False:
        outcome.ok = list(range(len(items)))
        return outcome
    for position, entry in enumerate(results):
        result = next(iter(entry.values()), {}) if isinstance(entry, dict) and entry else {}
        returned_id = result.get("_id")
        if returned_id is not None and returned_id != items[position].doc_id:
            raise BulkProtocolError(f"item {position} answers for _id {returned_id!r}, expected {items[position].doc_id!r}")
        status = result.get("status")
        if not isinstance(status, int):
            outcome.retry.append((position, "bulk item without a status"))
        elif 200 <= status < 300:
            outcome.ok.append(position)
        elif status in RETRYABLE_STATUS:
            outcome.retry.append((position, _reason(result)))
        else:
            outcome.failed.append((position, _reason(result)))
    return outcome
