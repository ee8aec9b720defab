"""The package's layers hold: no import circles, no import from a lower layer to a higher one, a clean core."""
from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "pipeline"

# Lowest first; a module may import only from its own layer or a lower one.
LAYERS = {
    "core": ("pipeline.core", "pipeline.enrich", "pipeline.alerts", "pipeline.models"),
    "adapters": ("pipeline.sources", "pipeline.sinks", "pipeline.notify"),
    "runners": ("pipeline.runners",),
    "apps": ("pipeline.apps",),
    "cli": ("pipeline.cli", "pipeline.bench", "pipeline.__main__"),
}
ORDER = list(LAYERS)
CORE_FORBIDDEN = ("faust", "kafka", "aiokafka", "elasticsearch", "starlette", "uvicorn", "click", "httpx", "sqlite3")


def module_name(path: Path) -> str:
    """Dotted module name of a file under pipeline/."""
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path) -> set[str]:
    """Every module a file imports, at any depth of the file (lazy imports included)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def layer_of(module: str) -> str | None:
    """The layer a pipeline module belongs to, or None for the package root."""
    for layer, prefixes in LAYERS.items():
        if any(module == p or module.startswith(p + ".") for p in prefixes):
            return layer
    return None


@pytest.fixture(scope="module")
def graph() -> dict[str, set[str]]:
    """Module -> the pipeline modules it imports."""
    files = {module_name(p): p for p in PACKAGE.rglob("*.py")}
    edges: dict[str, set[str]] = defaultdict(set)
    for name, path in files.items():
        for target in imports_of(path):
            if target in files and target != name:
                edges[name].add(target)
    return {name: edges[name] for name in files}


@pytest.fixture(scope="module")
def external() -> dict[str, set[str]]:
    """Module -> the top-level names of everything it imports."""
    return {module_name(p): {t.split(".")[0] for t in imports_of(p)} for p in PACKAGE.rglob("*.py")}


def test_no_import_reaches_up_a_layer(graph: dict[str, set[str]]) -> None:
    upward = []
    for source, targets in graph.items():
        own = layer_of(source)
        for target in targets:
            theirs = layer_of(target)
            if own and theirs and ORDER.index(theirs) > ORDER.index(own):
                upward.append(f"{source} -> {target}")
    assert upward == []


def test_runners_do_not_import_each_other(graph: dict[str, set[str]]) -> None:
    crossing = [f"{s} -> {t}" for s, ts in graph.items() for t in ts
                if s.startswith("pipeline.runners.") and t.startswith("pipeline.runners.")
                and s.split(".")[2] != t.split(".")[2]]
    assert crossing == []


def test_no_import_circles(graph: dict[str, set[str]]) -> None:
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    circles: list[list[str]] = []
    counter = [0]

    def visit(node: str) -> None:
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for nxt in graph.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                item = stack.pop()
                on_stack.discard(item)
                component.append(item)
                if item == node:
                    break
            if len(component) > 1:
                circles.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    assert circles == []


def test_core_imports_no_transport_web_cli_or_storage_library(external: dict[str, set[str]]) -> None:
    offending = {m: sorted(libs & set(CORE_FORBIDDEN)) for m, libs in external.items()
                 if layer_of(m) == "core" and libs & set(CORE_FORBIDDEN)}
    assert offending == {}


def test_exactly_one_folder_defines_sqlite_schema() -> None:
    folders = {p.parent.relative_to(PACKAGE).as_posix() for p in PACKAGE.rglob("*.py")
               if "CREATE TABLE" in p.read_text() or "CREATE INDEX" in p.read_text()
               or "CREATE VIRTUAL TABLE" in p.read_text() or "CREATE TRIGGER" in p.read_text()}
    assert folders == {"sinks/sqlite"}



def test_the_package_never_reaches_for_shared_data() -> None:
    reaching = [p.relative_to(PACKAGE).as_posix() for p in PACKAGE.rglob("*.py")
                if '"shared"' in p.read_text() or "'shared'" in p.read_text() or "../shared" in p.read_text()]
    assert reaching == []
