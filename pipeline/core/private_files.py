"""Files that hold personal data or secrets are readable by their owner only (mode 0600)."""
from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import IO

PRIVATE_MODE = 0o600


def make_private(path: str | Path) -> None:
    """Create `path` empty with mode 0600 when missing, else take away every permission of group and others.

    An existing file is never opened: closing a descriptor of a file drops every POSIX lock this process holds
    on it, such as SQLite's locks on a store and its -shm file, and another process would then rebuild the
    shared index under this one's feet."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_MODE)
        except FileExistsError:
            pass   # created by another process a moment ago: only its mode is checked below
        else:
            os.close(fd)
    tighten_mode(path)


def tighten_mode(path: str | Path) -> None:
    """Take every permission of group and others away from an existing file, without opening it."""
    mode = stat.S_IMODE(os.stat(path).st_mode)
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
