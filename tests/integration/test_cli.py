"""The command line: help everywhere, `enrich` as a filter with dead letters, clear usage errors."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import click
import jsonschema
from click.testing import CliRunner

from pipeline.cli.main import main
from pipeline.sources.demo.generator import generate_labelled

SCHEMA = json.loads((Path(__file__).resolve().parents[2] / "pipeline/core/schemas/enriched_signal.schema.json").read_text())


def _commands(group: click.Group, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found = [prefix]
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            found += _commands(command, prefix + (name,))
        else:
            found.append(prefix + (name,))
    return found


def test_every_command_has_help() -> None:
    runner = CliRunner()
    commands = _commands(main)
    assert ("enrich",) in commands and ("run",) in commands and ("demo",) in commands and ("bench",) in commands
    for path in commands:
        result = runner.invoke(main, [*path, "--help"])
        assert result.exit_code == 0, (path, result.output)
        assert "Usage:" in result.output


def test_python_m_pipeline_works() -> None:
    out = subprocess.run([sys.executable, "-m", "pipeline", "--help"], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0 and "stadssignaal" in out.stdout


def test_enrich_filter_outputs_one_valid_line_per_good_line(tmp_path: Path) -> None:
    signals = [s for s, _, _ in generate_labelled(n=200, seed=3)]
    lines = [json.dumps(s.to_dict(), ensure_ascii=False).encode() for s in signals]
    lines.insert(50, b"{not json")
    lines.insert(120, b'{"id": "fax:1", "channel": "fax", "created_at": "2026-01-01T00:00:00Z", "text": "x"}')
    lines.insert(150, b"\xff\xfe garbage")
    dead = tmp_path / "dead.jsonl"
    result = subprocess.run(
        [sys.executable, "-m", "pipeline", "enrich", "--dead-letters", str(dead)],
        input=b"\n".join(lines) + b"\n", capture_output=True, timeout=120)
    assert result.returncode == 0, result.stderr.decode()[-2000:]
    out = [json.loads(line) for line in result.stdout.decode().splitlines()]
    assert [d["id"] for d in out] == [s.id for s in signals]
    for doc in out:
        jsonschema.validate(doc, SCHEMA)
    stderr = result.stderr.decode()
    assert "line 51: invalid JSON" in stderr and "line 121: channel is unknown" in stderr
    assert "line 151: not valid UTF-8" in stderr
    letters = [json.loads(line) for line in dead.read_text().splitlines()]
    assert [d["position"] for d in letters] == ["line 51", "line 121", "line 151"]


def test_run_with_unknown_source_is_a_usage_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["run", "--source", "nope:x", "--store", str(tmp_path / "s.db"), "--no-dashboard"])
    assert result.exit_code == 2 and "unknown source 'nope:x'" in result.output
    result = CliRunner().invoke(main, ["run", "--source", "replay:/does/not/exist.jsonl", "--no-dashboard",
                                       "--store", str(tmp_path / "s.db")])
    assert result.exit_code == 2 and "replay file not found" in result.output


def test_bad_speed_is_rejected(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["run", "--source", "demo", "--speed", "fast", "--no-dashboard",
                                       "--store", str(tmp_path / "s.db")])
    assert result.exit_code == 2 and "--speed" in result.output


def test_enrich_with_the_shipped_models(tmp_path: Path) -> None:
    lines = [
        {"id": "twitter:1", "channel": "twitter", "created_at": "2026-11-20T08:00:00Z",
         "text": "kliko al twee weken niet geleegd, echt schandalig"},
        {"id": "facebook:2", "channel": "facebook", "created_at": "2026-11-20T08:01:00Z",
         "text": "Top geregeld, bedankt voor het snel vervangen van de lantaarnpaal!"},
    ]
    result = subprocess.run(
        [sys.executable, "-m", "pipeline", "enrich", "--topic-model", "starter", "--sentiment-model", "starter",
         "--dead-letters", str(tmp_path / "dead.jsonl")],
        input="\n".join(json.dumps(line) for line in lines).encode(), capture_output=True, timeout=120)
    assert result.returncode == 0, result.stderr.decode()[-2000:]
    docs = [json.loads(line) for line in result.stdout.decode().splitlines()]
    assert docs[0]["model_version"].startswith("starter-topic")
    assert docs[0]["topic"]["code"] == "afval" and docs[0]["sentiment"]["label"] == "negative"
    assert docs[1]["topic"]["code"] == "openbare_ruimte" and docs[1]["sentiment"]["label"] == "positive"


def test_unknown_model_directory_is_a_usage_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["enrich", "--topic-model", str(tmp_path / "nope")], input="")
    assert result.exit_code == 2 and "cannot load the model" in result.output
