"""Scopes the detector counts in (all signals, a topic, topic+channel, topic+place) and their row numbers."""
from __future__ import annotations

import logging
from dataclasses import dataclass

log = logging.getLogger(__name__)

TOTAL = "total"
LEVEL = {TOTAL: 0, "topic": 1, "channel": 2, "place": 2}
SEP = "|"


@dataclass(frozen=True, slots=True)
class Scope:
    """A counting scope: `kind` total, topic, channel or place; `value` the channel or place name."""

    topic: str
    kind: str
    value: str

    @property
    def key(self) -> str:
        """A stable string key, e.g. 'verkeer|place|Centrum'."""
        return SEP.join((self.topic, self.kind, self.value))

    @property
    def level(self) -> int:
        """0 for all signals, 1 for a topic, 2 for topic+channel and topic+place."""
        return LEVEL[self.kind]

    def as_alert_scope(self) -> dict[str, str]:
        """The {"type", "value"} shape alerts carry."""
        return {"type": self.kind, "value": self.value}

    @classmethod
    def from_key(cls, key: str) -> "Scope":
        """Inverse of `key`."""
        topic, kind, value = key.split(SEP, 2)
        return cls(topic, kind, value)

    @classmethod
    def total(cls) -> "Scope":
        """The root scope: every signal with a topic."""
        return cls("*", TOTAL, "*")

    @classmethod
    def of_topic(cls, topic: str) -> "Scope":
        """The scope of a whole topic."""
        return cls(topic, "topic", topic)


class ScopeIndex:
    """Assigns each scope a row (parents before children) and remembers each row's parent row."""

    def __init__(self, max_scopes: int) -> None:
        """An empty index that accepts at most `max_scopes` scopes."""
        self.max_scopes = max_scopes
        self.rows: dict[str, int] = {}
        self.scopes: list[Scope] = []
        self.parents: list[int] = []
        self._warned = False

    def __len__(self) -> int:
        """Number of scopes."""
        return len(self.scopes)

    def row(self, scope: Scope) -> int | None:
        """The row of `scope`, adding it (and its parents) when new; None when the cap is reached."""
        found = self.rows.get(scope.key)
        if found is not None:
            return found
        if scope.kind == TOTAL:
            parent = -1
        elif scope.kind == "topic":
            parent = self.row(Scope.total())
        else:
            parent = self.row(Scope.of_topic(scope.topic))
        if parent is None:
            return None
        if len(self.scopes) >= self.max_scopes:
            if not self._warned:
                log.warning("alert detector: more than %d scopes; new scopes are not counted", self.max_scopes)
                self._warned = True
            return None
        self.rows[scope.key] = len(self.scopes)
        self.scopes.append(scope)
        self.parents.append(parent)
        return self.rows[scope.key]

    def get(self, key: str) -> int | None:
        """The row of a scope key, without adding it."""
        return self.rows.get(key)

    def keys(self) -> list[str]:
        """Scope keys in row order (for snapshots)."""
        return [s.key for s in self.scopes]

    @classmethod
    def from_keys(cls, keys: list[str], max_scopes: int) -> "ScopeIndex":
        """Rebuild from `keys()` output."""
        index = cls(max_scopes)
        for key in keys:
            index.row(Scope.from_key(key))
        if index.keys() != keys:
            raise ValueError("scope list in the snapshot is not in parent-first order")
        return index
