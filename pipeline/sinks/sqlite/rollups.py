"""Hourly rollups kept beside the signals for the dashboard at scale: `signal_cube` (signals per hour, channel,
topic, sentiment and neighbourhood, with their site searches), `dossier_hour` (each saved dossier's signals per
hour, channel, topic and sentiment) and its sums `dossier_day` (per UTC day) and `dossier_tone_hour` (per hour and
sentiment alone), which let a dossier's report over weeks read a few thousand rows, and `dossier_term_hour` (the
keyword terms of each dossier's members per hour).

Changes are summed per batch in memory and written as one upsert per key, inside the writer's transaction; a
signal written again is first taken out with its old values, so nothing counts twice. NULL is stored as NULL_KEY
(primary keys cannot hold NULL). Deleted signals (meta.deleted) are not counted, as the dashboard leaves them out.
"""
from __future__ import annotations

import math
import sqlite3
from typing import Any, Sequence

NULL_KEY = "\u0000"
HOUR = 3_600
DAY = 86_400
SEARCH_CHANNEL = "site_search"

DOSSIER_TABLES = ("dossier_hour", "dossier_day", "dossier_tone_hour", "dossier_term_hour")
CubeKey = tuple[float, str, str, str, str]  # hour, channel, topic, sentiment, place
DossierKey = tuple[int, float, str, str, str]  # dossier id, hour, channel, topic, sentiment


def key_of(value: str | None) -> str:
    """The stored key of a column value (NULL_KEY for None)."""
    return NULL_KEY if value is None else value


def value_of(key: str) -> str | None:
    """The column value of a stored key."""
    return None if key == NULL_KEY else key


def floor_sql(column: str, size: int) -> str:
    """SQL for the start of the UTC period of `size` seconds holding `column` (floor, also for negative times)."""
    whole = f"CAST({column} / {size} AS INTEGER) * {size}"
    return f"({whole} - CASE WHEN {column} < {whole} THEN {size} ELSE 0 END)"


def hour_sql(column: str) -> str:
    """SQL for the start of the UTC hour holding `column`."""
    return floor_sql(column, HOUR)


def day_of(ts: float) -> float:
    """The start of the UTC day holding `ts`."""
    return float(math.floor(ts / DAY) * DAY)


class RollupDeltas:
    """Per-key changes of one batch: +1 per new signal, -1 per signal taken back."""

    def __init__(self) -> None:
        """Empty changes."""
        self.cube: dict[CubeKey, list[int]] = {}
        self.dossiers: dict[DossierKey, int] = {}
        self.terms: dict[tuple[int, float, str], int] = {}

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

    def count_member_terms(self, dossier_id: int, hour: float, terms: Sequence[str], sign: int) -> None:
        """Count the keyword terms of one dossier member (sign +1) or take them back (-1)."""
        for term in terms:
            key = (dossier_id, hour, term)
            self.terms[key] = self.terms.get(key, 0) + sign

    def write(self, conn: sqlite3.Connection) -> None:
        """Add the changes to the tables (one upsert per key with a change)."""
        conn.executemany(
            "INSERT INTO signal_cube (hour, channel, topic, sentiment, place, n, searches, zero) VALUES (?,?,?,?,?,?,?,?) "
            "ON CONFLICT(hour, channel, topic, sentiment, place) DO UPDATE SET n = n + excluded.n, "
            "searches = searches + excluded.searches, zero = zero + excluded.zero",
            [(*key, n, searches, zero) for key, (n, searches, zero) in self.cube.items() if n or searches or zero])
        days: dict[DossierKey, int] = {}
        tones: dict[tuple[int, float, str], int] = {}
        for (dossier_id, hour, channel, topic, sentiment), n in self.dossiers.items():
            day = (dossier_id, day_of(hour), channel, topic, sentiment)
            days[day] = days.get(day, 0) + n
            tone = (dossier_id, hour, sentiment)
            tones[tone] = tones.get(tone, 0) + n
        conn.executemany(
            "INSERT INTO dossier_hour (dossier_id, hour, channel, topic, sentiment, n) VALUES (?,?,?,?,?,?) "
            "ON CONFLICT(dossier_id, hour, channel, topic, sentiment) DO UPDATE SET n = n + excluded.n",
            [(*key, n) for key, n in self.dossiers.items() if n])
        conn.executemany(
            "INSERT INTO dossier_day (dossier_id, day, channel, topic, sentiment, n) VALUES (?,?,?,?,?,?) "
            "ON CONFLICT(dossier_id, day, channel, topic, sentiment) DO UPDATE SET n = n + excluded.n",
            [(*key, n) for key, n in days.items() if n])
        conn.executemany(
            "INSERT INTO dossier_tone_hour (dossier_id, hour, sentiment, n) VALUES (?,?,?,?) "
            "ON CONFLICT(dossier_id, hour, sentiment) DO UPDATE SET n = n + excluded.n",
            [(*key, n) for key, n in tones.items() if n])
        conn.executemany(
            "INSERT INTO dossier_term_hour (dossier_id, hour, term, n) VALUES (?,?,?,?) "
            "ON CONFLICT(dossier_id, hour, term) DO UPDATE SET n = n + excluded.n",
            [(*key, n) for key, n in self.terms.items() if n])
        self.cube.clear()
        self.dossiers.clear()
        self.terms.clear()


def take_back_members(conn: sqlite3.Connection, ids: Sequence[str], deltas: RollupDeltas,
                      hour_of: Any, chunk: int = 500) -> None:
    """Count the dossier membership of signals about to be removed out of `deltas` (before their rows go)."""
    for begin in range(0, len(ids), chunk):
        part = list(ids[begin:begin + chunk])
        sql = (f"SELECT dossier_id, ts, channel, topic, sentiment FROM dossier_signal "
               f"WHERE id IN ({','.join('?' * len(part))})")
        for dossier_id, ts, channel, topic, sentiment in conn.execute(sql, part):
            deltas.count_member(dossier_id, hour_of(ts), channel, topic, sentiment, -1)
        sql = (f"SELECT m.dossier_id, m.ts, t.term FROM dossier_signal m JOIN signal_terms t ON t.id = m.id "
               f"WHERE m.id IN ({','.join('?' * len(part))})")
        for dossier_id, ts, term in conn.execute(sql, part):
            deltas.count_member_terms(dossier_id, hour_of(ts), (term,), -1)


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


def rebuild_signal_days(conn: sqlite3.Connection) -> None:
    """Fill `signal_day` and `search_day` again: the sums of `signal_hour` and `search_hour` per UTC day."""
    conn.execute("DELETE FROM signal_day")
    conn.execute(f"INSERT INTO signal_day (dim, key, day, n, stored) SELECT dim, key, {floor_sql('hour', DAY)}, SUM(n), "
                 f"SUM(stored) FROM signal_hour GROUP BY 1, 2, 3")
    conn.execute("DELETE FROM search_day")
    conn.execute(f"INSERT INTO search_day (day, grp, form, searches, zero) SELECT {floor_sql('hour', DAY)}, grp, form, "
                 f"SUM(searches), SUM(zero) FROM search_hour GROUP BY 1, 2, 3")


def rebuild_dossier_hours(conn: sqlite3.Connection, dossier_id: int) -> None:
    """Fill the hourly and daily counts of one dossier again from its membership."""
    forget_dossier_counts(conn, dossier_id)
    conn.execute(
        f"INSERT INTO dossier_hour (dossier_id, hour, channel, topic, sentiment, n) SELECT dossier_id, "
        f"{hour_sql('ts')}, coalesce(channel, :null), coalesce(topic, :null), coalesce(sentiment, :null), COUNT(*) "
        f"FROM dossier_signal WHERE dossier_id = :id GROUP BY 1, 2, 3, 4, 5", {"null": NULL_KEY, "id": dossier_id})
    conn.execute(
        f"INSERT INTO dossier_day (dossier_id, day, channel, topic, sentiment, n) SELECT dossier_id, "
        f"{floor_sql('hour', DAY)}, channel, topic, sentiment, SUM(n) FROM dossier_hour WHERE dossier_id = ? "
        f"GROUP BY 1, 2, 3, 4, 5", (dossier_id,))
    conn.execute("INSERT INTO dossier_tone_hour (dossier_id, hour, sentiment, n) SELECT dossier_id, hour, sentiment, "
                 "SUM(n) FROM dossier_hour WHERE dossier_id = ? GROUP BY 1, 2, 3", (dossier_id,))
    conn.execute(f"INSERT INTO dossier_term_hour (dossier_id, hour, term, n) SELECT m.dossier_id, {hour_sql('m.ts')}, "
                 f"t.term, COUNT(*) FROM dossier_signal m JOIN signal_terms t ON t.id = m.id WHERE m.dossier_id = ? "
                 f"GROUP BY 1, 2, 3", (dossier_id,))


def forget_dossier_counts(conn: sqlite3.Connection, dossier_id: int | None = None) -> None:
    """Delete the hourly and daily counts of one dossier (of every dossier when `dossier_id` is None)."""
    for table in DOSSIER_TABLES:
        if dossier_id is None:
            conn.execute(f"DELETE FROM {table}")
        else:
            conn.execute(f"DELETE FROM {table} WHERE dossier_id = ?", (dossier_id,))
