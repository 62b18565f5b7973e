"""Helpers of the idempotency tests: a clock to move by hand, and the real Redis under a prefix of its own."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from uuid import uuid4

from redis.asyncio import Redis

REDIS_URL = os.environ.get("STOREGRAPH_TEST_REDIS", "redis://127.0.0.1:6379/0")


class FakeClock:
    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


@asynccontextmanager
async def redis_prefix() -> AsyncIterator[tuple[Redis, str]]:
    """The real Redis (down: the test fails, it never skips) and a key prefix of its own, deleted afterwards."""
    client = Redis.from_url(REDIS_URL)
    await client.ping()
    prefix = f"test:{uuid4().hex}:"
    try:
        yield client, prefix
    finally:
        keys = [key async for key in client.scan_iter(match=f"{prefix}*")]
        if keys:
            await client.delete(*keys)
        await client.aclose()
