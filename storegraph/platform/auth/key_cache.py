"""Verified API keys kept in the process for a short while, and the feed that makes revocation immediate anyway.

Looking a key up costs a database round trip (on SQLite a thread hop too), which is most of what the middleware
stack would cost per request. So a platform key that verified is remembered by the digest of the exact token
presented, and a usable public key (its signing secret, origins and store) by its key id, for ``ttl`` seconds at
most. Revoking a key (or changing its store) evicts it here at once, and through Redis
pub/sub in every other process. A process whose subscription is not live does not use its cache at all, so a
lost connection to Redis costs speed, never a revoked key that still works.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from collections.abc import Callable
from typing import Any

from redis.asyncio import Redis
from sqlalchemy import Row

from storegraph.platform.auth.principal import Principal

logger = logging.getLogger("storegraph.auth")

# Bounds memory: past this many distinct tokens the cache starts over (a flood of valid keys is no attack).
MAX_ENTRIES = 10_000
RESUBSCRIBE_SECONDS = 1.0


def _digest(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


class KeyCache:
    def __init__(self, ttl_seconds: float, *, enabled: bool = True, clock: Callable[[], float] = time.monotonic):
        self._ttl = ttl_seconds
        self._clock = clock
        self._entries: dict[bytes, tuple[float, Principal]] = {}
        # Public keys by key id: the row the signed-request check reads (signing secret, origins, store columns).
        self._public: dict[str, tuple[float, Row[Any]]] = {}
        # Counts evictions: a row read from the database before an eviction may be the revoked key's, so
        # ``put_public_key`` refuses it when the count moved during the lookup.
        self.generation = 0
        self.enabled = enabled and ttl_seconds > 0

    def get(self, token: str) -> Principal | None:
        if not self.enabled:
            return None
        entry = self._entries.get(_digest(token))
        if entry is None:
            return None
        expires_at, principal = entry
        if self._clock() >= expires_at:
            del self._entries[_digest(token)]
            return None
        return principal

    def put(self, token: str, principal: Principal) -> None:
        if not self.enabled:
            return
        if len(self._entries) >= MAX_ENTRIES:
            self._entries.clear()
        self._entries[_digest(token)] = (self._clock() + self._ttl, principal)

    def public_key(self, key_id: str) -> Row[Any] | None:
        """The cached row of a usable public key, or ``None`` (not cached, expired, or caching is off)."""
        if not self.enabled:
            return None
        entry = self._public.get(key_id)
        if entry is None:
            return None
        expires_at, row = entry
        if self._clock() >= expires_at:
            self._public.pop(key_id, None)
            return None
        return row

    def put_public_key(self, row: Row[Any], *, read_at_generation: int) -> None:
        """Remembers a public key's row, read while ``generation`` was ``read_at_generation``; only rows that passed
        every check belong here."""
        if not self.enabled or read_at_generation != self.generation:
            return
        if len(self._public) >= MAX_ENTRIES:
            self._public.clear()
        self._public[row.key_id] = (self._clock() + self._ttl, row)

    def evict(self, *, key_id: str | None = None, store_id: int | None = None) -> None:
        self.generation += 1
        self._entries = {
            digest: (expires_at, principal)
            for digest, (expires_at, principal) in self._entries.items()
            if principal.key_id != key_id and principal.store_id != store_id
        }
        self._public = {
            cached_id: (expires_at, row)
            for cached_id, (expires_at, row) in self._public.items()
            if cached_id != key_id and row.store_id != store_id
        }

    def disable(self) -> None:
        self.enabled = False
        self.generation += 1
        self._entries.clear()
        self._public.clear()


class KeyRevocations:
    """Announces revoked keys and changed stores to this process's cache and, with Redis, to every process."""

    def __init__(self, cache: KeyCache, redis: Redis | None, channel: str) -> None:
        self.cache = cache
        self._redis = redis
        self._channel = channel

    async def key_revoked(self, key_id: str) -> None:
        self.cache.evict(key_id=key_id)
        await self._publish(f"key:{key_id}")

    async def store_changed(self, store_id: int) -> None:
        self.cache.evict(store_id=store_id)
        await self._publish(f"store:{store_id}")

    async def _publish(self, message: str) -> None:
        if self._redis is None:
            return
        try:
            await self._redis.publish(self._channel, message)
        except Exception:
            # Other processes would keep the key until its entry expires: stop caching everywhere we can (here),
            # and say so loudly; the change itself is committed.
            logger.exception("could not announce %s to other processes", message)
            self.cache.disable()

    async def listen(self) -> None:
        """Applies other processes' announcements for as long as it runs (a task of the app's lifespan). The
        cache is on only while subscribed."""
        if self._redis is None:
            return
        while True:
            try:
                await self._follow(self._redis)
            except asyncio.CancelledError:
                self.cache.disable()
                raise
            except Exception:
                logger.warning("lost the key revocation feed; caching keys is off until it is back", exc_info=True)
            self.cache.disable()
            await asyncio.sleep(RESUBSCRIBE_SECONDS)

    async def _follow(self, redis: Redis) -> None:
        async with redis.pubsub() as pubsub:
            await pubsub.subscribe(self._channel)
            self.cache.enabled = True
            async for message in pubsub.listen():
                if message.get("type") == "message":
                    self._apply(message["data"])

    def _apply(self, data: bytes | str) -> None:
        kind, _, value = (data.decode() if isinstance(data, bytes) else data).partition(":")
        if kind == "key":
            self.cache.evict(key_id=value)
        elif kind == "store" and value.isdigit():
            self.cache.evict(store_id=int(value))
