"""Files that hold personal data or secrets are readable by their owner only (mode 0600)."""
from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import IO

PRIVATE_MODE = 0o600


def make_private(path: str | Path) -> None:
    """Create `path` empty with mode 0600 when missing, else take away every permission of group and others."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, PRIVATE_MODE)
    os.close(fd)
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        os.chmod(path, mode & 0o700)


def open_private_append(path: str | Path) -> IO[str]:
    """Open a text file for appending, created 0600 when missing (e.g. the dead-letter file)."""
    make_private(path)
    return Path(path).open("a", encoding="utf-8")


def write_private(path: str | Path, text: str) -> None:
    """Write a new file that only its owner can read (e.g. a key file); fails when it already exists."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_MODE)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
