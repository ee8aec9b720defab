"""`stadssignaal run --sink es`: the local runner indexes into Elasticsearch (a fake that speaks its API)."""
from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from fakes.es_server import FakeElasticsearch
from pipeline.cli.main import main
from pipeline.sources.demo.generator import generate


def test_run_with_es_sink_indexes_every_signal_once_and_resumes(tmp_path: Path, monkeypatch) -> None:
    signals = generate(n=400, seed=21)
    path = tmp_path / "signals.jsonl"
    path.write_text("".join(json.dumps(s.to_dict(), ensure_ascii=False) + "\n" for s in signals) + "{bad\n")
    state = tmp_path / "state.db"
    with FakeElasticsearch() as fake:
        monkeypatch.setenv("STADSSIGNAAL_ES_URL", fake.url)
        assert CliRunner().invoke(main, ["es", "setup", "--es-url", fake.url]).exit_code == 0
        args = ["run", "--source", f"replay:{path}", "--store", str(state), "--sink", "es", "--exit-when-done"]
        first = CliRunner().invoke(main, args)
        assert first.exit_code == 0, first.output
        assert fake.count("stadssignaal-signals-*") == len(signals)
        stored = fake.documents("stadssignaal-signals-*")
        letters = [doc.source for doc in fake.documents("stadssignaal-deadletters-*").values()]
        assert {doc_id for doc_id in stored} == {s.id for s in signals}
        bulk_before = len(fake.bulk_requests())
        again = CliRunner().invoke(main, args)
        assert again.exit_code == 0, again.output
        assert len(fake.bulk_requests()) == bulk_before, "a restart resumes from the cursor and re-sends nothing"
    # the bad line is a dead letter in Elasticsearch: reason, length and hash, not the line itself
    assert len(letters) == 1 and "invalid JSON" in letters[0]["reason"]
    assert letters[0]["size"] == len(b"{bad") and "raw" not in letters[0]
    from pipeline.sinks.sqlite.alerts import AlertStore
    saved = AlertStore(state, readonly=True).load_state()      # the spike detector ran with --sink es too
    assert saved is not None and saved["stats"]["counted"] == len(signals)
