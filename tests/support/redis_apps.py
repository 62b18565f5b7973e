"""An app under test on the real Redis (down: the test fails, it never skips), under a key prefix of its own that
is deleted afterwards, with its connections closed."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any
from uuid import uuid4

import httpx
from fastapi import FastAPI
from redis.asyncio import Redis

from storegraph.app import create_app
from tests.conftest import app_settings, services_of
from tests.support.idempotency_support import REDIS_URL


@asynccontextmanager
async def redis_app(database_url: str, prefix: str | None = None, **overrides: Any) -> AsyncIterator[FastAPI]:
    """``prefix``: the same one for two apps makes them two processes of one deployment."""
    prefix = prefix or f"test:{uuid4().hex}:"
    application = create_app(app_settings(database_url, redis_url=REDIS_URL, redis_prefix=prefix, **overrides))
    services = services_of(application)
    try:
        yield application
    finally:
        await services.job_queue.close()
        if services.redis is not None:
            await services.redis.aclose()
        await services.engine.dispose()
        cleaner = Redis.from_url(REDIS_URL)
        keys = [key async for key in cleaner.scan_iter(match=f"{prefix}*")]
        if keys:
            await cleaner.delete(*keys)
        await cleaner.aclose()


def client_of(application: FastAPI) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=application), base_url="http://storegraph.test")
