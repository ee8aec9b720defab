"""The SQLite store: idempotent writes, cursor in the same transaction, dead letters."""
from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest

from pipeline.enrich.pii.boundary import dead_letter
from pipeline.sinks.sqlite.store import SqliteStore, connect


def doc(i: int, text: str = "tekst") -> dict:
    return {"id": f"twitter:{i}", "channel": "twitter", "created_at": "2026-11-20T08:00:00+01:00",
            "text": text, "topic": {"code": "afval", "label": "Afval", "confidence": 0.9},
            "sentiment": {"label": "negative", "score": -0.5}, "language": "nl"}


def test_write_is_idempotent_and_overwrites(store_path: Path) -> None:
    store = SqliteStore(store_path)
    store.write("s", {"offset": 1}, [doc(1), doc(2)])
    store.write("s", {"offset": 2}, [doc(1, "nieuw")])
    assert store.count() == 2
    row = connect(store_path, readonly=True).execute("SELECT text, ts, created_at FROM signals WHERE id='twitter:1'").fetchone()
    assert row["text"] == "nieuw"
    assert row["created_at"] == "2026-11-20T07:00:00Z"
    assert store.load_cursor("s") == {"offset": 2}
    assert store.load_cursor("other") is None


def test_cursor_and_rows_commit_together(store_path: Path) -> None:
    store = SqliteStore(store_path)
    store.write("s", {"offset": 1}, [doc(1)])
    bad = doc(2)
    del bad["created_at"]
    with pytest.raises(KeyError):
        store.write("s", {"offset": 2}, [doc(3), bad])
    assert store.count() == 1
    assert store.load_cursor("s") == {"offset": 1}


def test_dead_letters_are_kept_with_reason(store_path: Path) -> None:
    store = SqliteStore(store_path)
    store.write("s", {"offset": 9}, [], [dead_letter("s", "line 3", "invalid JSON", b"{oops\xff")])
    letters = store.dead_letters()
    assert letters[0]["reason"] == "invalid JSON" and letters[0]["position"] == "line 3"
    assert "\ufffd" in letters[0]["raw"]
    assert store.load_cursor("s") == {"offset": 9}


def test_wal_mode(store_path: Path) -> None:
    SqliteStore(store_path)
    assert sqlite3.connect(store_path).execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_write_takes_already_encoded_docs(store_path: Path) -> None:
    from pipeline.sinks.sqlite.store import encode_doc

    store = SqliteStore(store_path)
    docs = [doc(1, "één"), doc(2)]
    marked = [encode_doc({**d, "marker": n}) for n, d in enumerate(docs)]   # proves the given text is stored
    store.write(None, None, docs, encoded=marked)
    rows = connect(store_path, readonly=True).execute("SELECT id, text, doc FROM signals ORDER BY id").fetchall()
    assert [row["doc"] for row in rows] == marked
    assert rows[0]["text"] == "één"   # the columns still come from the docs


def test_write_encodes_docs_itself_when_the_encodings_do_not_fit(store_path: Path,
                                                                 caplog: pytest.LogCaptureFixture) -> None:
    import json
    import logging

    store = SqliteStore(store_path)
    with caplog.at_level(logging.ERROR, logger="pipeline.sinks.sqlite.store"):
        store.write(None, None, [doc(1), doc(2)], encoded=['{"id":"twitter:1"}'])
    stored = connect(store_path, readonly=True).execute("SELECT doc FROM signals ORDER BY id").fetchall()
    assert [json.loads(row["doc"]) for row in stored] == [doc(1), doc(2)]
    assert any("pre-encoded" in r.getMessage() for r in caplog.records)


def _open_at_the_barrier(path: str, barrier: Any, results: Any) -> None:
    """Child process: wait for the others, then open the store through the sink contract."""
    from pipeline.sinks.sqlite.sink import SqliteSink

    barrier.wait()
    try:
        SqliteSink(path).open().close()
        results.put("ok")
    except Exception as err:  # noqa: BLE001 - reported to the parent
        results.put(f"{type(err).__name__}: {err}")


def test_several_processes_open_a_new_store_at_the_same_moment(tmp_path: Path) -> None:
    import multiprocessing

    ctx = multiprocessing.get_context("fork")
    failures = []
    for round_no in range(12):
        path = str(tmp_path / f"store-{round_no}.db")
        barrier, results = ctx.Barrier(4), ctx.Queue()
        children = [ctx.Process(target=_open_at_the_barrier, args=(path, barrier, results)) for _ in range(4)]
        for child in children:
            child.start()
        for child in children:
            child.join(90)
        failures += [answer for answer in (results.get(timeout=60) for _ in children) if answer != "ok"]
    assert failures == []
