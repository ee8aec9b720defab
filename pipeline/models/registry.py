"""The model registry: numbered versions of the municipality's topic and sentiment models, and which one runs.

Layout of the registry directory:

    v0001/version.json      what the version holds (model directories), its scores, when it was made
    v0001/topic/, sentiment/  model directories trained for this version (either may be absent)
    CURRENT                 the name of the version the runners use (absent: the models they were started with)
    history.jsonl           every promotion and rollback, oldest first

A version names its models by paths relative to the registry, so a version can keep the previous version's
sentiment model while bringing a new topic model. CURRENT is replaced atomically; runners watch its stamp.
"""
from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

CURRENT_FILE = "CURRENT"
HISTORY_FILE = "history.jsonl"
VERSION_FILE = "version.json"
KINDS = ("topic", "sentiment")
_NAME = re.compile(r"^v(\d{4,})$")


class RegistryError(ValueError):
    """A registry operation that cannot be done; the message says why."""


@dataclass(slots=True)
class ModelVersion:
    """One version: its name, directory, models (kind -> directory or None) and everything recorded with it."""

    name: str
    path: Path
    models: dict[str, Path | None]
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def created(self) -> str:
        """When the version was made (ISO 8601)."""
        return str(self.info.get("created", ""))


def _now() -> str:
    """The current UTC time as ISO 8601 seconds."""
    return datetime.now(UTC).isoformat(timespec="seconds")


class ModelRegistry:
    """Numbered model versions in one directory, and the pointer to the current one."""

    def __init__(self, root: str | Path) -> None:
        """The registry at `root` (created on the first new version)."""
        self.root = Path(root)

    @property
    def pointer(self) -> Path:
        """The file naming the current version."""
        return self.root / CURRENT_FILE

    def versions(self) -> list[ModelVersion]:
        """Every recorded version, oldest first."""
        if not self.root.is_dir():
            return []
        names = sorted((p.name for p in self.root.iterdir() if _NAME.match(p.name) and (p / VERSION_FILE).is_file()),
                       key=lambda n: int(n[1:]))
        return [self.get(name) for name in names]

    def get(self, name: str) -> ModelVersion:
        """The version called `name`; RegistryError when there is none."""
        path = self.root / name
        if not _NAME.match(name) or not (path / VERSION_FILE).is_file():
            known = ", ".join(v.name for v in self.versions()) or "none yet"
            raise RegistryError(f"no model version {name!r} in {self.root} (versions: {known})")
        try:
            info = json.loads((path / VERSION_FILE).read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as err:
            raise RegistryError(f"{path / VERSION_FILE}: unreadable ({err})") from None
        models = {kind: (self.root / info["models"][kind]) if info.get("models", {}).get(kind) else None
                  for kind in KINDS}
        return ModelVersion(name, path, models, info)

    def current_name(self) -> str | None:
        """The name in CURRENT, or None when no version was promoted (or the last one was rolled back)."""
        try:
            name = self.pointer.read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            return None
        return name or None

    def current(self) -> ModelVersion | None:
        """The current version, or None."""
        name = self.current_name()
        return None if name is None else self.get(name)

    def stamp(self) -> tuple[int, int, int] | None:
        """A cheap fingerprint of CURRENT (one stat): it changes whenever a version is promoted or rolled back."""
        try:
            st = os.stat(self.pointer)
        except FileNotFoundError:
            return None
        return st.st_ino, st.st_mtime_ns, st.st_size

    def new_version(self) -> tuple[str, Path]:
        """The name and (new, empty) directory of the next version."""
        self.root.mkdir(parents=True, exist_ok=True)
        numbers = [int(m.group(1)) for p in self.root.iterdir() if (m := _NAME.match(p.name))]
        number = max(numbers, default=0) + 1
        while True:
            name = f"v{number:04d}"
            try:
                (self.root / name).mkdir()
                return name, self.root / name
            except FileExistsError:
                number += 1

    def record(self, name: str, models: dict[str, Path | None], info: dict[str, Any]) -> ModelVersion:
        """Write version.json of version `name`: its models (directories inside the registry) and `info`."""
        relative = {kind: (str(Path(path).resolve().relative_to(self.root.resolve())) if path else None)
                    for kind, path in models.items()}
        body = {"name": name, "created": _now(), **info, "models": relative}
        target = self.root / name / VERSION_FILE
        _write_atomically(target, json.dumps(body, indent=2, ensure_ascii=False) + "\n")
        return self.get(name)

    def promote(self, name: str, reason: str = "promote") -> ModelVersion:
        """Make version `name` the current one (the runners pick it up at their next check)."""
        version = self.get(name)
        previous = self.current_name()
        _write_atomically(self.pointer, name + "\n")
        self._log({"action": "promote", "version": name, "previous": previous, "reason": reason})
        return version

    def rollback(self) -> str | None:
        """Go back to the version that was current before the current one was promoted; returns its name, or
        None when the runners go back to the models they were started with. RegistryError without a current one."""
        current = self.current_name()
        if current is None:
            raise RegistryError("no version is current, so there is nothing to roll back")
        previous = None
        for entry in self.history():
            if entry.get("action") == "promote" and entry.get("version") == current:
                previous = entry.get("previous")
        if previous is None:
            self.pointer.unlink(missing_ok=True)
        else:
            _write_atomically(self.pointer, previous + "\n")
        self._log({"action": "rollback", "version": previous, "previous": current, "reason": "rollback"})
        return previous

    def history(self) -> list[dict[str, Any]]:
        """Every promotion and rollback, oldest first."""
        path = self.root / HISTORY_FILE
        if not path.is_file():
            return []
        return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]

    def _log(self, entry: dict[str, Any]) -> None:
        """Append one entry to the history."""
        self.root.mkdir(parents=True, exist_ok=True)
        with open(self.root / HISTORY_FILE, "a", encoding="utf-8") as handle:
            handle.write(json.dumps({"at": _now(), **entry}, ensure_ascii=False) + "\n")


def _write_atomically(path: Path, text: str) -> None:
    """Write `text` to `path` so readers see the old or the new content, never a part."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)
