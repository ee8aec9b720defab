"""Hourly rollups kept beside the signals for the dashboard at scale: `signal_cube` (signals per hour, channel,
topic, sentiment and neighbourhood, with their site searches) and `dossier_hour` (each saved dossier's signals per
hour, channel, topic and sentiment).

Changes are summed per batch in memory and written as one upsert per key, inside the writer's transaction; a
signal written again is first taken out with its old values, so nothing counts twice. NULL is stored as NULL_KEY
(primary keys cannot hold NULL). Deleted signals (meta.deleted) are not counted, as the dashboard leaves them out.
"""
from __future__ import annotations

import sqlite3
from typing import Any, Sequence

NULL_KEY = "\u0000"
HOUR = 3_600
SEARCH_CHANNEL = "site_search"

CubeKey = tuple[float, str, str, str, str]  # hour, channel, topic, sentiment, place
DossierKey = tuple[int, float, str, str, str]  # dossier id, hour, channel, topic, sentiment


def key_of(value: str | None) -> str:
    """The stored key of a column value (NULL_KEY for None)."""
    return NULL_KEY if value is None else value


def value_of(key: str) -> str | None:
    """The column value of a stored key."""
    return None if key == NULL_KEY else key


def hour_sql(column: str) -> str:
    """SQL for the start of the UTC hour holding `column` (floor, also for negative times)."""
    whole = f"CAST({column} / {HOUR} AS INTEGER) * {HOUR}"
    return f"({whole} - CASE WHEN {column} < {whole} THEN {HOUR} ELSE 0 END)"


class RollupDeltas:
    """Per-key changes of one batch: +1 per new signal, -1 per signal taken back."""

    def __init__(self) -> None:
        """Empty changes."""
        self.cube: dict[CubeKey, list[int]] = {}
        self.dossiers: dict[DossierKey, int] = {}

    def count_signal(self, hour: float, channel: str | None, topic: str | None, sentiment: str | None,
                     place: str | None, zero: int | None, sign: int) -> None:
        """Count one signal that is not deleted (sign +1) or take it back (-1)."""
        entry = self.cube.setdefault((hour, key_of(channel), key_of(topic), key_of(sentiment), key_of(place)), [0, 0, 0])
        entry[0] += sign
        if channel == SEARCH_CHANNEL and zero is not None:
            entry[1] += sign
            entry[2] += sign * int(zero)

    def count_member(self, dossier_id: int, hour: float, channel: str | None, topic: str | None,
                     sentiment: str | None, sign: int) -> None:
        """Count one dossier member (sign +1) or take it back (-1)."""
        key = (dossier_id, hour, key_of(channel), key_of(topic), key_of(sentiment))
        self.dossiers[key] = self.dossiers.get(key, 0) + sign

    def write(self, conn: sqlite3.Connection) -> None:
        """Add the changes to the tables (one upsert per key with a change)."""
        conn.executemany(
            "INSERT INTO signal_cube (hour, channel, topic, sentiment, place, n, searches, zero) VALUES (?,?,?,?,?,?,?,?) "
            "ON CONFLICT(hour, channel, topic, sentiment, place) DO UPDATE SET n = n + excluded.n, "
            "searches = searches + excluded.searches, zero = zero + excluded.zero",
            [(*key, n, searches, zero) for key, (n, searches, zero) in self.cube.items() if n or searches or zero])
        conn.executemany(
            "INSERT INTO dossier_hour (dossier_id, hour, channel, topic, sentiment, n) VALUES (?,?,?,?,?,?) "
            "ON CONFLICT(dossier_id, hour, channel, topic, sentiment) DO UPDATE SET n = n + excluded.n",
            [(*key, n) for key, n in self.dossiers.items() if n])
        self.cube.clear()
        self.dossiers.clear()


def take_back_members(conn: sqlite3.Connection, ids: Sequence[str], deltas: RollupDeltas,
                      hour_of: Any, chunk: int = 500) -> None:
    """Count the dossier membership of signals about to be removed out of `deltas` (before their rows go)."""
    for begin in range(0, len(ids), chunk):
        part = list(ids[begin:begin + chunk])
        sql = (f"SELECT dossier_id, ts, channel, topic, sentiment FROM dossier_signal "
               f"WHERE id IN ({','.join('?' * len(part))})")
        for dossier_id, ts, channel, topic, sentiment in conn.execute(sql, part):
            deltas.count_member(dossier_id, hour_of(ts), channel, topic, sentiment, -1)


def rebuild_cube(conn: sqlite3.Connection) -> None:
    """Fill `signal_cube` again from the stored signals (deleted ones left out)."""
    conn.execute("DELETE FROM signal_cube")
    conn.execute(
        f"INSERT INTO signal_cube (hour, channel, topic, sentiment, place, n, searches, zero) "
        f"SELECT {hour_sql('s.ts')}, coalesce(s.channel, :null), coalesce(s.topic, :null), "
        f"coalesce(s.sentiment, :null), coalesce(s.place, :null), COUNT(*), "
        f"SUM(s.channel = :search AND s.zero_result IS NOT NULL), "
        f"SUM(CASE WHEN s.channel = :search THEN coalesce(s.zero_result, 0) ELSE 0 END) FROM signals s "
        f"WHERE s.id NOT IN (SELECT id FROM signal_flags WHERE deleted = 1) GROUP BY 1, 2, 3, 4, 5",
        {"null": NULL_KEY, "search": SEARCH_CHANNEL})


def rebuild_dossier_hours(conn: sqlite3.Connection, dossier_id: int) -> None:
    """Fill the hourly counts of one dossier again from its membership."""
    conn.execute("DELETE FROM dossier_hour WHERE dossier_id = ?", (dossier_id,))
    conn.execute(
        f"INSERT INTO dossier_hour (dossier_id, hour, channel, topic, sentiment, n) SELECT dossier_id, "
        f"{hour_sql('ts')}, coalesce(channel, :null), coalesce(topic, :null), coalesce(sentiment, :null), COUNT(*) "
        f"FROM dossier_signal WHERE dossier_id = :id GROUP BY 1, 2, 3, 4, 5", {"null": NULL_KEY, "id": dossier_id})
