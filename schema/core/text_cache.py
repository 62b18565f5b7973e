"""An LRU of what was derived from GraphQL documents (parsed documents, validation results, cost plans), bounded by
the bytes of document text it holds rather than by a number of entries alone.

A count of entries does not bound memory: one document may be a thousand times larger than another, and a parsed
document takes up to about 70 times its text. Each entry counts its text plus ``ENTRY_OVERHEAD``, so that a cache
of tiny documents stays bounded too (at the default budget, to the 1024 entries the caches used to hold).
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Generic, TypeVar

from cachetools import LRUCache

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

ENTRY_OVERHEAD = 1024


def text_bytes(text: str) -> int:
    return len(text.encode("utf-8", "surrogatepass"))


def _entry_size(entry: tuple[int, object]) -> int:
    return entry[0]


class TextCache(Generic[K, V]):
    """Values kept by a key derived from a document's text, least recently used out first once the texts (and the
    per-entry overhead) add up to ``max_bytes``. A single text larger than the whole budget is not kept."""

    def __init__(self, max_bytes: int) -> None:
        self._entries: LRUCache[K, tuple[int, V]] = LRUCache(max_bytes, getsizeof=_entry_size)

    def get(self, key: K) -> V | None:
        entry = self._entries.get(key)
        return None if entry is None else entry[1]

    def put(self, key: K, text: str, value: V) -> None:
        size = text_bytes(text) + ENTRY_OVERHEAD
        if size <= self._entries.maxsize:
            self._entries[key] = (size, value)

    @property
    def bytes_held(self) -> int:
        return int(self._entries.currsize)

    @property
    def max_bytes(self) -> int:
        return int(self._entries.maxsize)

    def __len__(self) -> int:
        return len(self._entries)
