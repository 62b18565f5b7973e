"""Replay protection: a signature is accepted once. Someone who captured a signed request (a proxy log, a
browser extension) cannot send it again while its timestamp is still fresh.

A signature is remembered for twice the timestamp tolerance: a timestamp is accepted from ``tolerance`` before
to ``tolerance`` after the clock that checks it, so that is the longest a signature can stay usable, even where
the API processes' clocks disagree a little. After that it is refused as stale anyway.

In memory for the embedded default (one process); in Redis (``SET NX PX``, atomic) when ``REDIS_URL`` is set, so
that every API process refuses a signature any of them has seen.
"""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Callable
from typing import Protocol

from redis.asyncio import Redis

from storegraph.platform.redis_batch import PipelineBatcher

logger = logging.getLogger("storegraph.tracking")

# Bounds the in-process store (about 150 MB at most): signatures are recorded before the rate limiter runs, so a
# client flooding with a leaked signing secret fills it at the speed the process can answer. Past the bound new
# signatures are refused rather than accepted unrecorded: a replay is never let through.
MAX_MEMORY_ENTRIES = 1_000_000


class ReplayStore(Protocol):
    async def first_use(self, key_id: str, signature: str) -> bool:
        """Records the signature of ``key_id``; ``True`` the first time, ``False`` for a replay."""
        ...


class MemoryReplayStore:
    """Signatures seen by this process. Every entry lives exactly ``ttl_seconds``, so they expire in the order
    they were added: a queue pruned from its head keeps memory bounded by the request rate, at O(1) per call."""

    def __init__(
        self, ttl_seconds: float, *, clock: Callable[[], float] = time.monotonic, max_entries: int = MAX_MEMORY_ENTRIES
    ) -> None:
        self._ttl = ttl_seconds
        self._clock = clock
        self._max_entries = max_entries
        self._expiry: dict[str, float] = {}
        self._order: deque[tuple[float, str]] = deque()

    async def first_use(self, key_id: str, signature: str) -> bool:
        now = self._clock()
        self._prune(now)
        entry = f"{key_id}:{signature.lower()}"
        if entry in self._expiry:
            return False
        if len(self._expiry) >= self._max_entries:
            logger.warning("the replay store is full (%d signatures): refusing new ones", self._max_entries)
            return False
        expires_at = now + self._ttl
        self._expiry[entry] = expires_at
        self._order.append((expires_at, entry))
        return True

    def _prune(self, now: float) -> None:
        while self._order and self._order[0][0] <= now:
            _, entry = self._order.popleft()
            self._expiry.pop(entry, None)

    def __len__(self) -> int:
        return len(self._expiry)


class RedisReplayStore:
    """Signatures seen by any process sharing the Redis server: ``SET key 1 NX PX ttl`` is one atomic step, so two
    processes receiving the same signed request at once cannot both accept it."""

    def __init__(self, redis: Redis, ttl_seconds: float, *, prefix: str) -> None:
        self._redis = redis
        # Concurrent requests' checks go to Redis together (each SET NX stays atomic on its own).
        self._batcher = PipelineBatcher(redis)
        self._ttl_ms = max(1, round(ttl_seconds * 1000))
        self._prefix = f"{prefix}signatures:"

    async def first_use(self, key_id: str, signature: str) -> bool:
        key = f"{self._prefix}{key_id}:{signature.lower()}"
        [stored] = await self._batcher.send(lambda pipe: pipe.set(key, b"1", nx=True, px=self._ttl_ms), 1)
        return bool(stored)


def replay_store(redis: Redis | None, *, tolerance_seconds: int, prefix: str) -> ReplayStore:
    """The store the app uses: Redis when it has one (shared by all API processes), else this process's memory."""
    ttl = 2 * tolerance_seconds
    if redis is None:
        return MemoryReplayStore(ttl)
    return RedisReplayStore(redis, ttl, prefix=prefix)
