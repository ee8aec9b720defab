"""Keyed pseudonyms for authors: the same author and key always give the same pseudonym."""
from __future__ import annotations

import hashlib
import hmac

PREFIX = "p:"
HEX_CHARS = 16


def normalise_author(author: str) -> str:
    """The form that is hashed: trimmed, lower-cased, without a leading '@' (handles are case-insensitive)."""
    return author.strip().lstrip("@").lower()


class Pseudonymiser:
    """HMAC-SHA256 of the normalised author under a secret key, shortened to 'p:' + 16 hex characters."""

    def __init__(self, key: str) -> None:
        if not key:
            raise ValueError("the pseudonym key must not be empty")
        self._key = key.encode("utf-8")
        self._cache: dict[str, str] = {}

    def pseudonym(self, author: str) -> str:
        """The pseudonym of one author (cached, so repeated authors cost one dict lookup)."""
        cached = self._cache.get(author)
        if cached is not None:
            return cached
        digest = hmac.new(self._key, normalise_author(author).encode("utf-8", "surrogatepass"), hashlib.sha256)
        result = PREFIX + digest.hexdigest()[:HEX_CHARS]
        if len(self._cache) >= 100_000:
            self._cache.clear()
        self._cache[author] = result
        return result


def pseudonymise(author: str, key: str) -> str:
    """One-off pseudonym of `author` under `key`."""
    return Pseudonymiser(key).pseudonym(author)
