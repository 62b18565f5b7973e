"""The job queue backends the tests run on: the database (SQLite and PostgreSQL, through the ``database_url``
fixture) and the real Redis under a prefix of its own (down: the test fails, it never skips).

The database's ``jobs`` table is shared by the test session, so a queue under test starts and ends with it
empty: what another test left behind would otherwise be claimed here.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from uuid import uuid4

import httpx
import pytest
from redis.asyncio import Redis
from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncEngine

from db.models import Job as JobRow
from db.queries.jobs import DatabaseJobQueue
from db.session import create_engine, create_sessionmaker, write_transaction
from storegraph.platform.jobs.handlers import JobContext
from storegraph.platform.jobs.queue import JobQueue
from storegraph.platform.jobs.redis_streams import RedisStreamJobQueue
from storegraph.platform.limits import MemoryRateLimiter
from storegraph.settings import Settings

REDIS_URL = os.environ.get("STOREGRAPH_TEST_REDIS", "redis://127.0.0.1:6379/0")

# (database_url fixture parameter, queue backend): the database queue on both databases, and Redis (whose tests
# still get a database, SQLite, for the handlers' context).
QUEUE_BACKENDS = pytest.mark.parametrize(
    ("database_url", "backend"),
    [("sqlite", "database"), ("postgresql", "database"), ("sqlite", "redis")],
    ids=["sqlite", "postgresql", "redis"],
    indirect=["database_url"],
    # Session scope, like the database_url fixture's own: pytest then runs all tests of one pair together instead of
    # setting each database up again for every test.
    scope="session",
)


@dataclass(frozen=True)
class QueueUnderTest:
    queue: JobQueue
    engine: AsyncEngine
    # Set on Redis: what a separate process needs to reach the same queue.
    redis_prefix: str | None = None

    def env(self) -> dict[str, str]:
        """The environment (settings) that points another process at this queue."""
        if self.redis_prefix is None:
            return {"JOB_QUEUE": "database"}
        return {"JOB_QUEUE": "redis", "REDIS_URL": REDIS_URL, "REDIS_PREFIX": self.redis_prefix}


@asynccontextmanager
async def queue_under_test(backend: str, database_url: str) -> AsyncIterator[QueueUnderTest]:
    engine = create_engine(database_url, pool_size=10)
    try:
        if backend == "database":
            await clear_jobs(engine)
            try:
                yield QueueUnderTest(DatabaseJobQueue(engine), engine)
            finally:
                await clear_jobs(engine)
            return
        async with redis_queue() as (queue, prefix):
            yield QueueUnderTest(queue, engine, prefix)
    finally:
        await engine.dispose()


@asynccontextmanager
async def redis_queue() -> AsyncIterator[tuple[RedisStreamJobQueue, str]]:
    client = Redis.from_url(REDIS_URL)
    await client.ping()
    prefix = f"test:{uuid4().hex}:"
    try:
        yield RedisStreamJobQueue(client, prefix=prefix), prefix
    finally:
        keys = [key async for key in client.scan_iter(match=f"{prefix}*")]
        if keys:
            await client.delete(*keys)
        await client.aclose()


@asynccontextmanager
async def another_queue(under_test: QueueUnderTest, database_url: str) -> AsyncIterator[JobQueue]:
    """The same queue reached through a client of its own, as another process would."""
    if under_test.redis_prefix is None:
        engine = create_engine(database_url, pool_size=2)
        try:
            yield DatabaseJobQueue(engine)
        finally:
            await engine.dispose()
        return
    client = Redis.from_url(REDIS_URL)
    try:
        yield RedisStreamJobQueue(client, prefix=under_test.redis_prefix)
    finally:
        await client.aclose()


async def clear_jobs(engine: AsyncEngine) -> None:
    async with write_transaction(engine) as connection:
        await connection.execute(delete(JobRow))


@asynccontextmanager
async def job_context(under_test: QueueUnderTest, database_url: str) -> AsyncIterator[JobContext]:
    settings = Settings(database_url=database_url, redis_url=None, secret_key="test-secret")
    async with httpx.AsyncClient(follow_redirects=False) as http:
        yield JobContext(
            settings,
            under_test.engine,
            create_sessionmaker(under_test.engine),
            under_test.queue,
            MemoryRateLimiter(),
            http,
        )
