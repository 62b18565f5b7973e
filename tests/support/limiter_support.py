"""The limiter backends the tests run on: in this process, and the real Redis under a prefix of its own."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from uuid import uuid4

from redis.asyncio import Redis

from storegraph.platform.limits import MemoryRateLimiter, RateLimiter, RedisRateLimiter

REDIS_URL = os.environ.get("STOREGRAPH_TEST_REDIS", "redis://127.0.0.1:6379/0")
BACKENDS = ("memory", "redis")


@asynccontextmanager
async def limiter_backend(backend: str) -> AsyncIterator[RateLimiter]:
    """A fresh limiter; on Redis (down: the test fails, it never skips) its keys are deleted afterwards."""
    if backend == "memory":
        yield MemoryRateLimiter()
        return
    client = Redis.from_url(REDIS_URL)
    await client.ping()
    prefix = f"test:{uuid4().hex}:"
    try:
        yield RedisRateLimiter(client, prefix=prefix)
    finally:
        keys = [key async for key in client.scan_iter(match=f"{prefix}*")]
        if keys:
            await client.delete(*keys)
        await client.aclose()
