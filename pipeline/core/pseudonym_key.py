"""The secret key of author pseudonyms: the configured one, else a random key kept beside the store (0600).

There is no built-in default key: a key anyone can read would let anyone recompute who wrote what. On first use
a random key is written next to the store file; every process that uses the same store (run, enrich, the Kafka
workers) reads the same file and so gives the same pseudonyms. Losing the file makes old pseudonyms unlinkable
to new ones; that is the intended effect of deleting it.
"""
from __future__ import annotations

import logging
import os
import secrets
import threading
from pathlib import Path

from pipeline.core.private_files import make_private, write_private

log = logging.getLogger(__name__)

KEY_SUFFIX = ".pseudonym-key"
KEY_BYTES = 32
_announced: set[str] = set()
_lock = threading.Lock()


def key_file_for(store: str | Path) -> Path:
    """Where the key of a store is kept: beside it, named after it ("var/stadssignaal.pseudonym-key")."""
    store = Path(store)
    return store.with_name(store.stem + KEY_SUFFIX)


def _announce(where: str) -> None:
    """Log once per process where the key lives (never the key)."""
    with _lock:
        if where in _announced:
            return
        _announced.add(where)
    log.info("authors are pseudonymised with the key %s", where)


def load_or_create_key(path: str | Path) -> str:
    """The key in `path`; when the file is missing a random key is written there first (mode 0600, atomically,
    so processes starting together agree on one key)."""
    path = Path(path)
    if not path.exists():
        temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
        write_private(temporary, secrets.token_urlsafe(KEY_BYTES) + "\n")
        try:
            os.link(temporary, path)   # fails when another process was first: its key wins
        except FileExistsError:
            pass
        finally:
            temporary.unlink(missing_ok=True)
    make_private(path)
    key = path.read_text(encoding="utf-8").strip()
    if not key:
        raise ValueError(f"the pseudonym key file {path} is empty; delete it to have a new key made")
    return key


def resolve_pseudonym_key(configured: str, store: str | Path) -> str:
    """The configured key when there is one, else the key kept beside `store`; says once where it lives."""
    if configured:
        _announce("from the settings (STADSSIGNAAL_PSEUDONYM_KEY or the settings file)")
        return configured
    path = key_file_for(store)
    key = load_or_create_key(path)
    _announce(f"in {path}")
    return key
