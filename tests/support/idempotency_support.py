"""Helpers of the idempotency tests: a clock to move by hand, the sealer, and the real Redis under a prefix of its
own."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from uuid import uuid4

from fastapi import FastAPI
from redis.asyncio import Redis
from sqlalchemy import select

from db.migrate import upgrade_to_head
from db.models import IdempotencyRecord
from db.queries.idempotency import DatabaseIdempotencyStore
from db.session import create_engine
from storegraph.app import create_app
from storegraph.platform.idempotency import (
    AnswerSealer,
    IdempotencyStore,
    MemoryIdempotencyStore,
    RedisIdempotencyStore,
)
from tests.conftest import app_settings, postgres_database, services_of

REDIS_URL = os.environ.get("STOREGRAPH_TEST_REDIS", "redis://127.0.0.1:6379/0")
# What the apps under test seal kept answers with (their SECRET_KEY is "test-secret", tests/conftest.py).
SEALER = AnswerSealer.from_secret("test-secret")


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


async def kept_bytes(store: IdempotencyStore) -> bytes:
    """Every byte an idempotency store holds, as a dump of its backend would show them."""
    if isinstance(store, MemoryIdempotencyStore):
        records = store._records.values()
        return b"\n".join(
            part
            for record in records
            for part in (record.fingerprint.encode(), record.owner.encode(), record.sealed or b"")
        )
    if isinstance(store, DatabaseIdempotencyStore):
        async with store._engine.connect() as connection:
            rows = (await connection.execute(select(*IdempotencyRecord.__table__.c))).all()
        return b"\n".join(value if isinstance(value, bytes) else str(value).encode() for row in rows for value in row)
    if isinstance(store, RedisIdempotencyStore):
        names = [name async for name in store.redis.scan_iter(match=store.redis_key("*"))]
        return b"\n".join(value for value in await store.redis.mget(names) if value) if names else b""
    raise TypeError(f"no dump for {type(store).__name__}")


@asynccontextmanager
async def migrated_database(kind: str, directory: Path) -> AsyncIterator[str]:
    """A database of the caller's own, SQLite (in ``directory``) or PostgreSQL, migrated to the head."""
    if kind == "sqlite":
        url = f"sqlite+aiosqlite:///{directory / 'storegraph.db'}"
        await _migrate(url)
        yield url
        return
    async with postgres_database("storegraph_idempotency") as url:
        await _migrate(url)
        yield url


async def _migrate(url: str) -> None:
    engine = create_engine(url, pool_size=2)
    try:
        await upgrade_to_head(engine)
    finally:
        await engine.dispose()


@asynccontextmanager
async def redis_app(database_url: str) -> AsyncIterator[FastAPI]:
    """An app over the real Redis under a prefix of its own (its limiter, idempotency store and queue)."""
    async with redis_prefix() as (_redis, prefix):
        application = create_app(app_settings(database_url, redis_url=REDIS_URL, redis_prefix=prefix))
        services = services_of(application)
        try:
            yield application
        finally:
            await services.engine.dispose()
            if services.redis is not None:
                await services.redis.aclose()
