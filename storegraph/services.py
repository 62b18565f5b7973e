"""Builders the API app (storegraph/app.py) and the worker share, so both make the same backend choices: the
engine, the Redis client, the job queue, the limiter and the embedded worker are each built here and nowhere else."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

import httpx
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from db.queries.jobs import DatabaseJobQueue
from db.queries.usage import DatabaseRateLimiter
from db.session import create_engine, create_sessionmaker
from storegraph.job_registry import all_handlers, all_periodic
from storegraph.platform.jobs.handlers import JobContext
from storegraph.platform.jobs.queue import JobQueue
from storegraph.platform.jobs.worker import BackgroundWorker, Worker
from storegraph.platform.limits import RateLimiter, RedisRateLimiter
from storegraph.platform.observability.collectors import PoolCollector
from storegraph.platform.observability.metrics import AppMetrics
from storegraph.platform.overload import bounded_redis
from storegraph.settings import Settings

Cleanup = Callable[[], Awaitable[None]]
logger = logging.getLogger("storegraph.services")


def create_database(settings: Settings) -> AsyncEngine:
    return create_engine(settings.database_url, pool_size=settings.db_pool_size, echo=settings.db_echo)


def create_redis(settings: Settings) -> Redis | None:
    """The process's one Redis client. Its pool waits (bounded) for a free connection instead of failing at once
    when a burst of requests holds them all; a wait that runs out is answered 503 ``overloaded``."""
    if not settings.redis_url:
        return None
    return bounded_redis(
        settings.redis_url,
        max_connections=settings.redis_max_connections,
        timeout_seconds=settings.redis_pool_timeout_seconds,
    )


def create_queue(settings: Settings, engine: AsyncEngine, redis: Redis | None) -> JobQueue:
    if settings.uses_redis_queue:
        if redis is None:
            raise ValueError("JOB_QUEUE=redis needs REDIS_URL")
        from storegraph.platform.jobs.redis_streams import RedisStreamJobQueue

        return RedisStreamJobQueue(redis, prefix=settings.redis_prefix)
    return DatabaseJobQueue(engine)


def rate_limiter(settings: Settings, redis: Redis | None, engine: AsyncEngine) -> RateLimiter:
    # Without Redis the window lives in this process and the monthly and daily counts in the database, written
    # out between ``start_counting`` and ``stop_counting``.
    if redis is None:
        return DatabaseRateLimiter(engine)
    return RedisRateLimiter(redis, prefix=settings.redis_prefix)


async def start_counting(limiter: RateLimiter) -> None:
    """Read the database's counts back and write this process's out every second (a Redis limiter needs none)."""
    if isinstance(limiter, DatabaseRateLimiter):
        await limiter.start()


async def stop_counting(limiter: RateLimiter) -> None:
    """Write the last counts out; a failure is logged, since the process is stopping anyway (it loses them)."""
    if not isinstance(limiter, DatabaseRateLimiter):
        return
    try:
        await limiter.stop()
    except Exception:
        logger.exception("could not write the last usage counts")


def webhook_http_client(settings: Settings) -> httpx.AsyncClient:
    # A redirect would send a signed delivery somewhere its subscription never named (and past the target checks).
    return httpx.AsyncClient(follow_redirects=False, timeout=settings.webhook_timeout_seconds)


def job_context(
    settings: Settings,
    engine: AsyncEngine,
    sessionmaker: async_sessionmaker[AsyncSession],
    queue: JobQueue,
    limiter: RateLimiter,
    metrics: AppMetrics | None = None,
) -> JobContext:
    """A context over services the caller already has (the API process's own, for its embedded worker)."""
    return JobContext(settings, engine, sessionmaker, queue, limiter, webhook_http_client(settings), metrics)


def build_job_context(settings: Settings, metrics: AppMetrics | None = None) -> tuple[JobContext, Cleanup]:
    """Everything a standalone worker process needs, and the coroutine function that releases it (the caller
    starts the limiter's counting, ``start_counting``, once its event loop runs)."""
    engine = create_database(settings)
    redis = create_redis(settings)
    queue = create_queue(settings, engine, redis)
    limiter = rate_limiter(settings, redis, engine)
    if metrics is not None:
        metrics.add_collector(PoolCollector(engine))
    context = job_context(settings, engine, create_sessionmaker(engine), queue, limiter, metrics)

    async def cleanup() -> None:
        await stop_counting(limiter)
        await context.http.aclose()
        await queue.close()
        await engine.dispose()
        if redis is not None:
            await redis.aclose()

    return context, cleanup


def start_embedded_worker(
    settings: Settings,
    engine: AsyncEngine,
    sessionmaker: async_sessionmaker[AsyncSession],
    queue: JobQueue,
    limiter: RateLimiter,
    metrics: AppMetrics | None = None,
) -> BackgroundWorker:
    """The API process's own worker (EMBEDDED_WORKER), on the app's engine, queue and limiter: with the in-process
    limiter that is what makes the worker's quota counts the API's. Call from a running event loop."""
    context = job_context(settings, engine, sessionmaker, queue, limiter, metrics)
    worker = Worker.from_settings(context, all_handlers(), all_periodic())
    return BackgroundWorker(worker, cleanup=context.http.aclose)
