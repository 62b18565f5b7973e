"""A restart of the embedded default (no REDIS_URL): the app is built again over the same database, as a new
process would be, and Idempotency-Keys and the month's counters carry over."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any
from uuid import uuid4

import httpx
from sqlalchemy import func, select

from db.models import Product
from storegraph.app import create_app
from tests.conftest import app_settings
from tests.support.factories import create_key, create_store


@asynccontextmanager
async def api_process(database_url: str) -> AsyncIterator[httpx.AsyncClient]:
    """One API process from start to shutdown: its lifespan runs as uvicorn runs it."""
    application = create_app(app_settings(database_url))
    async with application.router.lifespan_context(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://storegraph.test") as http:
            yield http


async def new_key(session: Any, plan: str = "enterprise") -> Any:
    key = await create_key(session, await create_store(session, plan=plan))
    await session.commit()
    return key


async def test_a_retry_after_a_restart_is_replayed_and_creates_one_product(database_url, session, sessionmaker):
    key = await new_key(session)
    headers = {**key.headers, "Idempotency-Key": uuid4().hex}
    product = {"name": "Restart Shirt", "price": 1500}

    async with api_process(database_url) as http:
        first = await http.post("/v1/products", json=product, headers=headers)
    async with api_process(database_url) as http:
        again = await http.post("/v1/products", json=product, headers=headers)

    async with sessionmaker() as reading:
        products = await reading.scalar(
            select(func.count()).select_from(Product).where(Product.store_id == key.store_id)
        )
    assert first.status_code == 201
    assert again.headers["idempotent-replayed"] == "true"
    assert again.content == first.content
    assert products == 1


async def test_the_months_counters_survive_a_restart(database_url, session):
    key = await new_key(session, plan="free")

    async with api_process(database_url) as http:
        for _ in range(3):
            await http.get("/v1/whoami", headers=key.headers)
    async with api_process(database_url) as http:
        usage = (await http.get("/v1/usage", headers=key.headers)).json()["data"]
        quotas = (await http.get("/v1/quotas", headers=key.headers)).json()["data"]

    assert (usage["requests"]["day"], usage["requests"]["month"]) == (4, 4)  # the usage request counts itself
    assert {row["endpoint"]: row["month"] for row in usage["endpoints"]}["GET /v1/whoami"] == 3
    assert quotas["requests_per_month"] == {"limit": 10_000, "used": 5, "remaining": 9_995}
