"""The bench's fast store builder writes exactly the store that the sink writes for the same signals."""
from __future__ import annotations

import json
from pathlib import Path

from fakes.side_rows_data import ACCOUNT, T0, side_rows
from pipeline.bench.bulk_signals import BulkSignals, as_doc, check_encoding
from pipeline.bench.bulk_store import build_bulk_store
from pipeline.sinks.sqlite.advisers import ensure_schema
from pipeline.sinks.sqlite.store import SqliteStore, connect

N = 3_000
DAYS = 2.0


def _signals(path: Path) -> list[tuple]:
    """Every signal row without the storage time, its doc without the enrichment time."""
    conn = connect(path, readonly=True)
    try:
        out = []
        for row in conn.execute("SELECT * FROM signals ORDER BY id"):
            values = dict(row)
            del values["stored_at"]
            doc = json.loads(values.pop("doc"))
            del doc["enriched_at"]
            out.append((tuple(values.items()), json.dumps(doc, sort_keys=True)))
        return out
    finally:
        conn.close()


def test_generated_rows_are_encoded_as_the_store_encodes_them() -> None:
    """Each row's JSON is the store's encoding of its doc, and the mix has every channel and flagged messages."""
    rows = BulkSignals(N, DAYS, end=T0).rows(0, N)
    assert all(check_encoding(row) for row in rows)
    assert {row.channel for row in rows} == {"twitter", "facebook", "call_note", "site_search"}
    assert any(row.meta and row.meta.get("callback") for row in rows)
    assert any(row.text.startswith("@gemeentezeist ") for row in rows)
    assert rows[-1].ts == T0 and rows[0].ts == T0 - DAYS * 86_400
    big = BulkSignals(10_000_000, 180.0, end=T0)  # ten million rows over half a year stay inside the span
    last, middle = big.rows(9_999_990, 10_000_000), big.rows(5_000_000, 5_000_001)
    assert abs(last[-1].ts - T0) < 1e-3 and abs(middle[0].ts - (T0 - 90 * 86_400)) < 1


def test_bulk_store_equals_the_sink_path(tmp_path: Path) -> None:
    """Signals, terms, flags, text index and hourly counts match those of SqliteStore.write with side tables."""
    bulk, sink = tmp_path / "bulk.db", tmp_path / "sink.db"
    build_bulk_store(bulk, N, ACCOUNT, DAYS, end=T0, chunk=700)
    SqliteStore(sink).close()
    assert ensure_schema(sink, ACCOUNT)
    store = SqliteStore(sink)
    for first in range(0, N, 1_000):
        store.write(None, None, [as_doc(row) for row in BulkSignals(N, DAYS, end=T0).rows(first, min(N, first + 1_000))])
    store.close()
    assert _signals(bulk) == _signals(sink)
    assert side_rows(bulk) == side_rows(sink)
    assert ensure_schema(bulk, ACCOUNT)  # the marker is current: nothing is rebuilt
