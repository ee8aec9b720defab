"""`stadssignaal --help` loads no command's stack: heavy libraries are imported only when a command runs."""
from __future__ import annotations

import subprocess
import sys

HEAVY = ("nltk", "sklearn", "numpy", "scipy", "faust", "kafka", "elasticsearch", "starlette", "uvicorn",
         "matplotlib", "pipeline.enrich", "pipeline.runners", "pipeline.apps", "pipeline.sinks")
# Every command installs the redacting log filter; its module loads the redaction itself only on first use.
LIGHT = ("pipeline.enrich", "pipeline.enrich.pii", "pipeline.enrich.pii.boundary")

PROBE = """
import sys
from click.testing import CliRunner
from pipeline.cli.main import main
result = CliRunner().invoke(main, sys.argv[1:])
assert result.exit_code == 0, result.output
print(result.output)
print("LOADED:" + ",".join(sorted(sys.modules)))
"""


def help_of(*args: str) -> tuple[str, list[str]]:
    """The help text for `args` and the heavy modules loaded to print it."""
    out = subprocess.run([sys.executable, "-c", PROBE, *args], capture_output=True, text=True, check=True).stdout
    text, loaded = out.rsplit("LOADED:", 1)
    heavy = [m for m in loaded.strip().split(",")
             if m not in LIGHT and any(m == h or m.startswith(h + ".") for h in HEAVY)]
    return text, heavy


def test_help_lists_every_command_without_importing_their_stacks() -> None:
    out, heavy = help_of("--help")
    assert heavy == []
    bench_out, heavy = help_of("bench", "--help")
    assert heavy == []
    out += bench_out
    for command in ("run", "demo", "enrich", "worker", "train", "alerts", "search", "digest", "purge", "dashboard"):
        assert f"\n  {command} " in out
    for bench in ("alerts", "dashboard", "enrich", "models", "search"):
        assert f"\n  {bench} " in out


def test_a_lazy_command_runs() -> None:
    result = subprocess.run([sys.executable, "-m", "pipeline", "search", "group-key", "paspoort aanvragen"],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "paspoort" in result.stdout
