"""Making a store's files private must not drop the SQLite locks this process holds on them."""
from __future__ import annotations

import stat
import subprocess
import sys
from pathlib import Path

from pipeline.core.private_files import make_private
from pipeline.sinks.sqlite.store import connect

# SQLite keeps a shared lock on this byte of the -shm file while a WAL connection is open (its "DMS" slot);
# a process that can lock it exclusively believes no one else uses the store and rebuilds the shared index.
SHM_DMS_OFFSET = 128
TRY_LOCK = (
    "import fcntl, os, sys\n"
    "fd = os.open(sys.argv[1], os.O_RDWR)\n"
    "try:\n"
    f"    fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 1, {SHM_DMS_OFFSET})\n"
    "except OSError:\n"
    "    print('held')\n"
    "else:\n"
    "    print('free')\n"
)


def _dms_lock_seen_from_another_process(shm: Path) -> str:
    done = subprocess.run([sys.executable, "-c", TRY_LOCK, str(shm)], capture_output=True, text=True, check=True)
    return done.stdout.strip()


def test_a_second_connection_keeps_the_first_ones_locks(tmp_path: Path) -> None:
    store = tmp_path / "store.db"
    first = connect(store)
    first.execute("CREATE TABLE t (x INTEGER)")
    first.execute("INSERT INTO t VALUES (1)")
    first.commit()
    shm = Path(f"{store}-shm")
    assert _dms_lock_seen_from_another_process(shm) == "held"
    second = connect(store)   # makes the store and its side files private again
    make_private(shm)
    assert _dms_lock_seen_from_another_process(shm) == "held"
    assert second.execute("SELECT x FROM t").fetchone()[0] == 1
    second.close()
    first.close()


def test_existing_files_lose_group_and_other_permissions(tmp_path: Path) -> None:
    path = tmp_path / "key"
    path.write_text("secret", encoding="utf-8")
    path.chmod(0o644)
    make_private(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.read_text(encoding="utf-8") == "secret"


def test_missing_files_are_created_private(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "deadletters.jsonl"
    make_private(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.read_bytes() == b""
