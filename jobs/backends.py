"""Which job queue a process uses, from the settings: one place, so the API and the worker always agree."""

from __future__ import annotations

from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine

from jobs.database import DatabaseJobQueue
from jobs.queue import JobQueue
from storegraph.settings import Settings


def create_queue(settings: Settings, engine: AsyncEngine, redis: Redis | None) -> JobQueue:
    if settings.uses_redis_queue:
        if redis is None:
            raise ValueError("JOB_QUEUE=redis needs REDIS_URL")
        from jobs.redis_streams import RedisStreamJobQueue

        return RedisStreamJobQueue(redis, prefix=settings.redis_prefix)
    return DatabaseJobQueue(engine)
