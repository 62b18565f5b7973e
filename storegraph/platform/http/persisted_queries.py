"""Automatic persisted queries: Apollo's ``persistedQuery`` request extension on ``/graphql`` (docs/graphql.md).

A client sends the SHA-256 of its document instead of the document. A hash the server knows runs its document; an
unknown one answers ``PersistedQueryNotFound`` (the message and code Apollo's clients look for) with status 200,
so the client sends the text along with the hash once, and the server keeps it once the document has run. Hashes
make short GET URLs, which HTTP caches and proxies can key on.

The documents are kept in this process (least recently used out first, bounded by their bytes) and, when Redis is
configured, in Redis for every process, each for ``ttl_seconds`` after it was last registered or read. Only a
document within ``max_length`` characters (the document limit, which the parser enforces anyway) is kept.
"""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass
from typing import Any

from cachetools import LRUCache
from redis.asyncio import Redis

from storegraph.platform.errors import ApiError, ValidationFailed

logger = logging.getLogger("storegraph.graphql")

VERSION = 1
_SHA256_HEX = re.compile(r"[0-9a-f]{64}")
# Counted with each document so that a store of tiny documents is bounded too.
_ENTRY_OVERHEAD = 256


class PersistedQueryNotFound(ApiError):
    """A hash-only request whose hash no process has kept (or kept and forgot): the client resends the text."""

    code = "PERSISTED_QUERY_NOT_FOUND"

    def __init__(self) -> None:
        super().__init__("PersistedQueryNotFound")


class PersistedQueryHashMismatch(ApiError):
    """A request whose document does not hash to the hash it names: nothing ran and nothing is kept."""

    code = "PERSISTED_QUERY_HASH_MISMATCH"

    def __init__(self) -> None:
        super().__init__("provided sha does not match query")


@dataclass(frozen=True, slots=True)
class Registration:
    """A document sent with its hash that no process was known to keep: kept once it has run."""

    sha256: str
    query: str


def sha256_of(query: str) -> str:
    return hashlib.sha256(query.encode("utf-8", "surrogatepass")).hexdigest()


def _document_bytes(query: str) -> int:
    return len(query.encode("utf-8", "surrogatepass")) + _ENTRY_OVERHEAD


class PersistedQueries:
    def __init__(
        self,
        *,
        max_bytes: int,
        max_length: int,
        redis: Redis | None = None,
        prefix: str = "",
        ttl_seconds: int = 86_400,
    ) -> None:
        self._local: LRUCache[str, str] = LRUCache(max_bytes, getsizeof=_document_bytes)
        self._max_length = max_length
        self._redis = redis
        self._prefix = f"{prefix}apq:"
        self._ttl_seconds = ttl_seconds

    async def resolve(self, request: dict[str, Any]) -> Registration | None:
        """Puts the document of a request that names one by hash into ``request["query"]``. Returns what to keep
        once the document has run, if anything; raises the refusal of a request whose hash cannot be used."""
        extensions = request.get("extensions")
        if extensions is None:
            return None
        if not isinstance(extensions, dict):
            raise ValidationFailed("'extensions' must be an object.")
        persisted = extensions.get("persistedQuery")
        if persisted is None:
            return None
        sha256 = _valid_hash(persisted)
        query = request.get("query")
        if query is None:
            request["query"] = await self.get(sha256)
            return None
        if not isinstance(query, str):
            return None  # the request's own checks refuse it
        if sha256_of(query) != sha256:
            raise PersistedQueryHashMismatch()
        if sha256 in self._local or len(query) > self._max_length:
            return None
        return Registration(sha256, query)

    async def get(self, sha256: str) -> str:
        query = self._local.get(sha256)
        if query is not None:
            return query
        if self._redis is not None:
            # Read and kept for another TTL in one command: a document in use does not expire.
            stored = await self._redis.getex(self._prefix + sha256, ex=self._ttl_seconds)
            if stored is not None:
                text = stored.decode() if isinstance(stored, bytes) else str(stored)
                if sha256_of(text) == sha256:  # another deployment's prefix or a hand edit cannot inject a document
                    self._put_local(sha256, text)
                    return text
        raise PersistedQueryNotFound()

    async def register(self, registration: Registration) -> None:
        """Keeps a document that ran. Called once its request's answer is made (a mutation's committed): a Redis
        that fails now must not turn that answer into an error, and costs only the other processes a round trip."""
        self._put_local(registration.sha256, registration.query)
        if self._redis is None:
            return
        try:
            await self._redis.set(self._prefix + registration.sha256, registration.query, ex=self._ttl_seconds)
        except Exception:
            logger.warning("could not share persisted query %s through Redis", registration.sha256, exc_info=True)

    def __contains__(self, sha256: str) -> bool:
        return sha256 in self._local

    def _put_local(self, sha256: str, query: str) -> None:
        if _document_bytes(query) <= self._local.maxsize:
            self._local[sha256] = query


def _valid_hash(persisted: object) -> str:
    if not isinstance(persisted, dict):
        raise ValidationFailed("'extensions.persistedQuery' must be an object.")
    if persisted.get("version") != VERSION:
        raise ValidationFailed(f"Unsupported persisted query version: only version {VERSION} is supported.")
    sha256 = persisted.get("sha256Hash")
    if not isinstance(sha256, str) or _SHA256_HEX.fullmatch(sha256) is None:
        raise ValidationFailed("'extensions.persistedQuery.sha256Hash' must be 64 lowercase hexadecimal digits.")
    return sha256
